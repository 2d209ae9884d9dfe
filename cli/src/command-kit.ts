import { Command, Option } from 'commander';

/** Where a verb writes: one call per line (tests capture it; the binary writes to stdout / stderr). */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** A wrong invocation (missing or bad option): exit 2 with the message and a pointer to the verb's help. */
export class UsageError extends Error {}

/** The exit codes of every verb; `orzo --help` lists them. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** What a verb module gets to register its commands: the output and the slot for the exit code. */
export interface CliContext {
  io: Output;
  /** The exit code the finished action resolved to (commander's actions return nothing). */
  exitCode: number;
}

/**
 * Wraps a verb's implementation as a commander action: it receives the parsed options (camelCase:
 * `--deploy-group` is `deployGroup`) and resolves to an exit code, which main() returns.
 */
export function action<O>(ctx: CliContext, fn: (opts: O, cmd: Command) => number | Promise<number>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    ctx.exitCode = await fn(cmd.opts<O & object>(), cmd);
  };
}

/** `--json` with the same wording on every verb; say whether it prints one document or JSON lines. */
export function jsonOption(what = 'print one JSON document instead of text'): Option {
  return new Option('--json', what);
}

/** `--control-api host:port` of every verb that talks to control-api. */
export function controlApiOption(): Option {
  return new Option('--control-api <host:port>', 'control-api gRPC endpoint (else ORZO_CONTROL_API, else 127.0.0.1:50051)');
}

export function serviceOption(description = 'the service (required)'): Option {
  return new Option('-s, --service <service>', description);
}

/** Rows under a header in columns two spaces apart; the last column is not padded. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
