import { ORZO_SERVICES } from '@orzo/contracts';
import { Output, migrateAll, up } from './platform-runner';
import { markForDeployment, status } from './api-commands';
import { builds, cookImage, getLatestDeployment, history, logs } from './build-commands';
import { UsageError, info, list, validate } from './soa-commands';
import { cliVersion } from './repo';

const HELP = `orzo: the command line of the Orzo platform

Usage: orzo <command> [options]

Platform:
  up              migrate, then run all six services in the foreground (Ctrl-C stops them)
  migrate         bring every service's database schema up to date (the only place migrations run)
  services        list the Orzo services, what each owns, and their HTTP ports

soa-configs (see docs/soa-configs.md; -y defaults to soa_dir of orzo.yaml, ./soa-configs):
  validate [-s service] [-y soa_dir] [--json]
                  check files, keys, types and cross-file rules; exit 0 clean, 1 errors, 2 usage
  list [-y soa_dir] [--json]
                  the services of the tree
  info -s service [-y soa_dir] [--json]
                  instances per cluster, deploy groups, endpoints and proxy ports, team

Deploys (talk to control-api over gRPC: --control-api host:port, ORZO_CONTROL_API, default 127.0.0.1:50051):
  mark-for-deployment -s service -l deploy_group (--image ref | -c sha) [--wait [--timeout s]]
                  record the version a deploy group should run; --wait follows it until done
  status -s service [-c cluster] [-i instance] [--json]
                  desired version, state, replicas and endpoints of each instance

  get-latest-deployment -s service -l deploy_group [--json]
                  the commit (and image) a deploy group was last marked with
  history -s service [--json]
                  marks, pipeline promotions, skipped steps and manual waits, newest first

Builds (through control-api and the builder):
  cook-image -s service [-c sha] [--dockerfile f] [--context dir] [--force] [--deploy] [--no-follow]
                  build the current checkout's commit, showing the build live; Ctrl-C cancels;
                  --deploy starts the deploy.yaml pipeline with the image
  logs -s service --build [--build-id id] [-f]
                  a build's log (default the latest); -f follows a running build to its end
  builds -s service [--json]
                  the service's builds, newest first

Options:
  -h, --help      show this help
  -v, --version   print the version
`;

const console: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs one CLI invocation; resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: Output = console): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    io.out(HELP);
    return command ? 0 : 2;
  }
  if (command === '-v' || command === '--version' || command === 'version') {
    io.out(`orzo ${cliVersion()}`);
    return 0;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.out(HELP);
    return 0;
  }
  try {
    return await run(command, rest, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`orzo ${command}: ${err.message}. Run "orzo --help".`);
    return 2;
  }
}

async function run(command: string, rest: string[], io: Output): Promise<number> {
  switch (command) {
    case 'validate':
      return validate(rest, io);
    case 'list':
      return list(rest, io);
    case 'info':
      return info(rest, io);
    case 'mark-for-deployment':
      return markForDeployment(rest, io);
    case 'status':
      return status(rest, io);
    case 'cook-image':
      return cookImage(rest, io);
    case 'logs':
      return logs(rest, io);
    case 'builds':
      return builds(rest, io);
    case 'get-latest-deployment':
      return getLatestDeployment(rest, io);
    case 'history':
      return history(rest, io);
    case 'services':
      for (const s of ORZO_SERVICES) io.out(`${s.name.padEnd(20)} :${s.httpPort}  ${s.owns}`);
      return 0;
    case 'migrate':
      return migrateAll(io);
    case 'up':
      return up(io);
    default:
      io.err(`orzo: unknown command "${command}". Run "orzo --help" for the list of commands.`);
      return 2;
  }
}
