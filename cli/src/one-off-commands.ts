import { Command, Option } from 'commander';
import { ServiceError, status as grpcStatus } from '@grpc/grpc-js';
import { api } from '@orzo/contracts';
import { ControlApiOptions, requestedBy, withControlApi } from './api-commands';
import { CliContext, EXIT, Output, UsageError, action, controlApiOption, serviceOption } from './command-kit';
import { LocalRunOptions, localRun } from './local-run';

interface RemoteRunOptions extends ControlApiOptions {
  service?: string;
  cluster?: string;
  instance?: string;
  cmd?: string;
  maxDuration?: string;
  follow?: boolean;
}

/** local-run and remote-run: an instance run once, here or on a cluster (PaaSTA's verbs). */
export function registerOneOffCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('One-off runs:');
  program
    .command('local-run')
    .description("run an instance's image on this machine's Docker with its env, port and resources, simulating its health check")
    .addOption(serviceOption())
    .option('-c, --cluster <cluster>', 'the cluster whose config to use (required)')
    .option('-i, --instance <instance>', 'the instance (long-running or adhoc; required)')
    .option('-y, --soa-dir <dir>', 'the soa-configs tree')
    .addOption(
      new Option('-b, --build', "build the image here from the service's repository (git_url when a local directory, else the current one)").conflicts([
        'pull',
        'image',
      ]),
    )
    .addOption(new Option('-p, --pull', "pull the image of the deploy group's marked version (asks control-api)").conflicts(['image']))
    .option('--image <ref>', 'run this image')
    .option('-C, --cmd <command>', "run this (under /bin/sh -c) instead of the instance's command")
    .option('-I, --interactive', 'on this terminal (-it); the command defaults to /bin/sh; no health check')
    .option('-k, --no-healthcheck', 'do not simulate the health check')
    .option('-t, --healthcheck-only', 'stop after the health check: exit 0 when it passes, 1 when it fails')
    .option('-d, --dry-run', 'print the docker commands and exit')
    .option('-o, --port <port>', 'the port on 127.0.0.1 for the container port (default: a free one)')
    .addOption(controlApiOption())
    .addHelpText(
      'after',
      `
Image: --build, --pull or --image; by default the deploy group's marked version when it is on this machine.
Exit code: -t 0 or 1 on the health check; otherwise the container's own exit code; 130 on Ctrl-C (the
container is always stopped and removed).`,
    )
    .action(action<LocalRunOptions>(ctx, (o) => localRun(o, ctx.io)));
  program
    .command('remote-run')
    .description("run an instance of adhoc-<cluster>.yaml once on the cluster's engine, following its output to its exit code")
    .addOption(serviceOption())
    .option('-c, --cluster <cluster>', 'the cluster (required)')
    .option('-i, --instance <instance>', 'the adhoc instance (required)')
    .option('-C, --cmd <command>', "run this (under /bin/sh -c) instead of the instance's cmd")
    .option('-m, --max-duration <seconds>', 'kill it after this many seconds')
    .option('-f, --follow', 'follow its output (the default; kept for PaaSTA compatibility)')
    .addOption(controlApiOption())
    .addHelpText(
      'after',
      `
It runs the image of the deploy group's marked version, with the instance's env, cpus and mem.
Its stdout and stderr come to yours; the exit code is the container's (130 on Ctrl-C, which kills it).`,
    )
    .action(action<RemoteRunOptions>(ctx, (o) => remoteRun(o, ctx.io)));
}

async function remoteRun(o: RemoteRunOptions, io: Output): Promise<number> {
  if (!o.service || !o.cluster || !o.instance) throw new UsageError('-s/--service, -c/--cluster and -i/--instance are required');
  if (o.maxDuration !== undefined && !/^\d+$/.test(o.maxDuration)) throw new UsageError(`--max-duration ${o.maxDuration} is not a number of seconds`);
  const req: api.RemoteRunRequest = {
    service: o.service,
    cluster: o.cluster,
    instance: o.instance,
    cmd: o.cmd ?? '',
    maxDurationSeconds: Number(o.maxDuration ?? 0),
    requestedBy: requestedBy(),
  };
  return withControlApi(
    o,
    io,
    (c) =>
      new Promise<number>((resolve, reject) => {
        const call = c.remoteRun(req);
        let interrupted = false;
        let exit: number | undefined;
        const onSigint = () => {
          interrupted = true;
          io.err('interrupted: the run is killed and removed');
          call.cancel();
        };
        process.on('SIGINT', onSigint);
        const done = (f: () => void) => (process.off('SIGINT', onSigint), f());
        call.on('data', (m: api.RemoteRunOutput) => {
          if (m.image) io.err(`running ${o.service}.${o.instance} on ${o.cluster}: ${m.image} as ${m.runId}`);
          else if (m.ended) {
            exit = m.exitCode;
            io.err(`${m.runId} exited with code ${m.exitCode}${m.reason ? ` (${m.reason})` : ''}`);
          } else (m.stream === 'stderr' ? io.err : io.out)(m.line);
        });
        call.on('error', (err: ServiceError) => done(() => (interrupted && err.code === grpcStatus.CANCELLED ? resolve(EXIT.interrupted) : reject(err))));
        call.on('end', () => done(() => resolve(exit ?? (io.err('the run ended without an exit code'), EXIT.failure))));
      }),
  );
}
