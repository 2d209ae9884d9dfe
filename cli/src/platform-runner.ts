import { ChildProcess, spawn } from 'node:child_process';
import { ORZO_SERVICES } from '@orzo/contracts';
import type { Output } from './command-kit';
import { LogView, formatLogLine } from './log-format';
import { serviceMain } from './repo';

// Kept here too: verb modules written before command-kit import it from this file.
export type { Output } from './command-kit';

/** What programs and tests get: each line as the child wrote it, behind `<service> | `. */
const PASS_THROUGH: LogView = { readable: false, color: false };

function run(service: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [serviceMain(service), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function showLines(child: ChildProcess, name: string, io: Output, view: LogView): void {
  for (const [stream, write] of [
    [child.stdout, io.out],
    [child.stderr, io.err],
  ] as const) {
    let buffer = '';
    stream?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) write(formatLogLine(name, line, view));
    });
  }
}

/** Runs every service's explicit migrate step, one after the other; stops at the first failure. */
export async function migrateAll(io: Output, env: NodeJS.ProcessEnv = process.env, view: LogView = PASS_THROUGH): Promise<number> {
  for (const { name } of ORZO_SERVICES) {
    const child = run(name, ['migrate'], env);
    showLines(child, name, io, view);
    const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
    if (code !== 0) {
      io.err(`migrate failed for ${name} (exit ${code})`);
      return code;
    }
  }
  return 0;
}

/**
 * `orzo up`: migrates, then runs all six services in the foreground, showing their logs (readable
 * or as JSON, per view). Ctrl-C (or SIGTERM) stops them cleanly; if one exits, the others are stopped too.
 */
export async function up(io: Output, env: NodeJS.ProcessEnv = process.env, view: LogView = PASS_THROUGH): Promise<number> {
  const migrated = await migrateAll(io, env, view);
  if (migrated !== 0) return migrated;
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const stopAll = (why: string) => {
    if (stopping) return;
    stopping = true;
    io.err(`stopping the platform (${why})`);
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
  };
  const exits = ORZO_SERVICES.map(({ name, httpPort }) => {
    const child = run(name, [], { ...env, ORZO_HTTP_PORT: env[`ORZO_${name.toUpperCase().replace(/-/g, '_')}_HTTP_PORT`] ?? String(httpPort) });
    children.set(name, child);
    showLines(child, name, io, view);
    return new Promise<number>((r) =>
      child.once('exit', (code) => {
        if (!stopping) stopAll(`${name} exited with ${code}`);
        r(code ?? 1);
      }),
    );
  });
  process.once('SIGINT', () => stopAll('SIGINT'));
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  const codes = await Promise.all(exits);
  return codes.every((c) => c === 0) && stopping ? 0 : Math.max(...codes, 1);
}
