import { Command } from 'commander';
import { ORZO_SERVICES } from '@orzo/contracts';
import { CliContext, action, controlApiOption, jsonOption, serviceOption } from './command-kit';
import { chooseLogView } from './log-format';
import { migrateAll, selectServices, up } from './platform-runner';
import { WaitReadyOptions, waitReady } from './wait-ready';

interface LogOptions {
  jsonLogs?: boolean;
}

interface UpOptions extends LogOptions {
  only?: string;
}

const N_HOSTS_HELP =
  '\nOn N hosts: run `orzo up` on one host (every service, its discovery-publisher the registrar), and on\n' +
  'every other host only its discovery-publisher, a follower with its own HAProxy:\n' +
  '  ORZO_HOST_ID=<name> ORZO_PROXY_BIND=<host IP or 0.0.0.0> ORZO_DISCOVERY_REGISTRAR=false \\\n' +
  '  ORZO_NATS_URL=nats://<bus>:4222 orzo up --only discovery-publisher\n' +
  'See docs/operations.md, "Running Orzo on N hosts".';

/** up, migrate, services: the platform itself, on this machine. */
export function registerPlatformCommands(program: Command, ctx: CliContext): void {
  const jsonLogs = '(default when the output is not a terminal)';
  const view = (o: LogOptions) => chooseLogView(!!o.jsonLogs, !!process.stdout.isTTY, process.env);
  program.commandsGroup('Platform:');
  program
    .command('up')
    .description('migrate, then run all six services and the dashboard in the foreground (Ctrl-C stops them)')
    .option('--json-logs', `show the services' log lines as the JSON they write ${jsonLogs}`)
    .option('--only <services>', 'run only these services (comma-separated), e.g. discovery-publisher on one more host')
    .addHelpText(
      'after',
      '\nOn a terminal each log record is one line: time, service, level, message, then its fields as k=v.\n' +
        'Otherwise (a pipe, a file) and with --json-logs, lines pass through as "<service> | <JSON>".\n' +
        N_HOSTS_HELP,
    )
    .action(action<UpOptions>(ctx, (o) => up(ctx.io, process.env, view(o), undefined, selectServices(o.only), o.only === undefined)));
  program
    .command('migrate')
    .description("bring every service's database schema up to date (the only place migrations run)")
    .option('--json-logs', `show the services' log lines as the JSON they write ${jsonLogs}`)
    .action(action<LogOptions>(ctx, (o) => migrateAll(ctx.io, process.env, view(o))));
  program
    .command('wait-ready')
    .description("wait until a service's instances are healthy and it answers through HAProxy; else say what is not ready (exit 1)")
    .addOption(serviceOption())
    .option('--proxy <host:port>', 'also require GET /status through this proxy to answer 200')
    .option('--expect-version <version>', 'and GET /version through the proxy to answer this version')
    .option('--timeout <seconds>', 'give up after this long', '60')
    .addOption(controlApiOption())
    .action(action<WaitReadyOptions>(ctx, (o) => waitReady(o, ctx.io)));
  program
    .command('services')
    .description('list the Orzo services, their HTTP ports, whether each runs once per cluster or on every host, and what each owns')
    .addOption(jsonOption('one JSON document: [{name, httpPort, runs: "cluster"|"host", owns}]'))
    .addHelpText('after', N_HOSTS_HELP)
    .action(
      action<{ json?: boolean }>(ctx, (o) => {
        if (o.json) ctx.io.out(JSON.stringify(ORZO_SERVICES.map(({ name, httpPort, runs, owns }) => ({ name, httpPort, runs, owns }))));
        else
          for (const s of ORZO_SERVICES)
            ctx.io.out(`${s.name.padEnd(20)} :${s.httpPort}  ${(s.runs === 'host' ? 'every host' : 'once').padEnd(10)}  ${s.owns}`);
        return 0;
      }),
    );
}
