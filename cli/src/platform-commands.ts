import { Command } from 'commander';
import { ORZO_SERVICES } from '@orzo/contracts';
import { CliContext, action, controlApiOption, jsonOption, serviceOption } from './command-kit';
import { chooseLogView } from './log-format';
import { migrateAll, up } from './platform-runner';
import { WaitReadyOptions, waitReady } from './wait-ready';

interface LogOptions {
  jsonLogs?: boolean;
}

/** up, migrate, services: the platform itself, on this machine. */
export function registerPlatformCommands(program: Command, ctx: CliContext): void {
  const jsonLogs = '(default when the output is not a terminal)';
  const view = (o: LogOptions) => chooseLogView(!!o.jsonLogs, !!process.stdout.isTTY, process.env);
  program.commandsGroup('Platform:');
  program
    .command('up')
    .description('migrate, then run all six services in the foreground (Ctrl-C stops them)')
    .option('--json-logs', `show the services' log lines as the JSON they write ${jsonLogs}`)
    .addHelpText(
      'after',
      '\nOn a terminal each log record is one line: time, service, level, message, then its fields as k=v.\n' +
        'Otherwise (a pipe, a file) and with --json-logs, lines pass through as "<service> | <JSON>".',
    )
    .action(action<LogOptions>(ctx, (o) => up(ctx.io, process.env, view(o))));
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
    .description('list the Orzo services, what each owns, and their HTTP ports')
    .addOption(jsonOption('one JSON document: [{name, httpPort, owns}]'))
    .action(
      action<{ json?: boolean }>(ctx, (o) => {
        if (o.json) ctx.io.out(JSON.stringify(ORZO_SERVICES.map(({ name, httpPort, owns }) => ({ name, httpPort, owns }))));
        else for (const s of ORZO_SERVICES) ctx.io.out(`${s.name.padEnd(20)} :${s.httpPort}  ${s.owns}`);
        return 0;
      }),
    );
}
