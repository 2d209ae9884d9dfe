import { Command, CommanderError } from 'commander';
import { CliContext, EXIT, Output, UsageError } from './command-kit';
import { cliVersion } from './repo';

/** Registers one group of verbs (one module each: api-commands, soa-commands, ...). */
export type Registrar = (program: Command, ctx: CliContext) => void;

const AFTER_HELP = `
Output: verbs print text for people; --json prints one JSON document (status, services, list,
validate, info, builds, history, get-latest-deployment, restart, autoscale) or, where the output is a stream,
JSON lines, one object a line (mark-for-deployment, wait-for-deployment, logs, cook-image, dead-letters).
rollback, stop and start print one JSON document. History records who asked: the API token's name. Errors go to stderr.

Exit codes:
  0    done
  1    failed: an error from control-api (printed as CODE: details), control-api not reachable,
       errors in soa-configs, a failed build, or a deploy that failed or timed out
  2    usage: unknown verb or option, missing or bad option value
  130  interrupted: cook-image's build cancelled with Ctrl-C

control-api: --control-api host:port, else ORZO_CONTROL_API, else 127.0.0.1:50051.
Token: ORZO_TOKEN, else the file ORZO_TOKEN_FILE, else <ORZO_DATA_DIR or .orzo/data>/admin-token
(written by control-api at its first start). TLS: --ca <file> or ORZO_CA; mutual TLS adds
ORZO_CLIENT_CERT and ORZO_CLIENT_KEY.
Help on one verb: orzo <verb> --help. Shell completion: orzo completion bash|zsh.`;

/**
 * The orzo program with these verb groups (main.ts: all of them). Each verb group is a module
 * with a register function: a new verb is one small file whose register function main.ts
 * lists, and it gets help, refusal of unknown options and shell completion from commander
 * without more code.
 */
export function buildProgram(ctx: CliContext, verbs: readonly Registrar[]): Command {
  const program = new Command('orzo')
    .description('orzo: the command line of the Orzo platform')
    .usage('<command> [options]')
    .version(`orzo ${cliVersion()}`, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand(new Command('help').argument('[command]').description('show help on a command').helpGroup('Help and shell:'))
    .addHelpText('after', AFTER_HELP)
    // Set before the verbs are added, which inherit them: main() words errors and exit codes.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.io.err(s.replace(/\n$/, '')),
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true)
    // `-v` is the program's --version before a verb and a verb's own option after it (status -v).
    .enablePositionalOptions()
    .option('--ca <file>', "control-api's CA certificate (PEM) when it speaks TLS; also ORZO_CA (before the verb: orzo --ca f status)")
    // Read where the client is made (api-access.ts), like ORZO_CA itself.
    .hook('preAction', (cmd) => {
      const ca = cmd.opts<{ ca?: string }>().ca;
      if (ca) process.env.ORZO_CA = ca;
    });
  for (const register of verbs) register(program, ctx);
  // `orzo version`, as before commander: kept working, not listed.
  program.command('version', { hidden: true }).action(() => ctx.io.out(`orzo ${cliVersion()}`));
  return program;
}

const console: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs one CLI invocation with these verbs; resolves to the exit code (see EXIT and `orzo --help`). */
export async function runProgram(argv: string[], verbs: readonly Registrar[], io: Output = console): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.ok };
  const program = buildProgram(ctx, verbs);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    const verb = program.commands.find((c) => c.name() === argv[0]);
    if (err instanceof UsageError) return usage(io, verb, err.message);
    if (!(err instanceof CommanderError)) throw err;
    // Help and version end in a CommanderError with exit code 0.
    if (err.exitCode === 0) return EXIT.ok;
    if (err.code === 'commander.unknownCommand')
      return usage(io, undefined, `unknown command "${argv[0]}"${suggestion(err.message)}`, 'for the list of commands');
    return usage(
      io,
      verb,
      `${err.message
        .replace(/^error: /, '')
        .split('\n')[0]!
        .replace(/^./, (c) => c.toUpperCase())}${suggestion(err.message)}`,
    );
  }
}

/** Commander's "(Did you mean status?)" as " (did you mean status?)", or ''. */
function suggestion(message: string): string {
  const m = /\(Did you mean (.+)\?\)/.exec(message);
  return m ? ` (did you mean ${m[1]}?)` : '';
}

function usage(io: Output, verb: Command | undefined, message: string, helpWhat = ''): number {
  const name = verb ? `orzo ${verb.name()}` : 'orzo';
  io.err(`${name}: ${message.replace(/\.$/, '')}. Run "${name} --help"${helpWhat ? ` ${helpWhat}` : ''}.`);
  return EXIT.usage;
}
