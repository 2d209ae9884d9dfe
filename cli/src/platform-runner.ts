import { ChildProcess, spawn } from 'node:child_process';
import { ORZO_DASHBOARD, ORZO_SERVICES } from '@orzo/contracts';
import { ChildGroup } from './child-group';
import { EXIT, type Output, UsageError } from './command-kit';
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

type OrzoService = (typeof ORZO_SERVICES)[number];

/**
 * The services `orzo up --only a,b` runs, in the platform's order; all of them without --only.
 * An unknown name is a usage error naming the known ones (nothing is started).
 */
export function selectServices(only?: string): OrzoService[] {
  if (only === undefined) return [...ORZO_SERVICES];
  const names = only
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const known = new Set<string>(ORZO_SERVICES.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (names.length === 0 || unknown.length)
    throw new UsageError(
      `--only takes a comma-separated list of Orzo services${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''} (known: ${[...known].join(', ')})`,
    );
  return ORZO_SERVICES.filter((s) => names.includes(s.name));
}

/** Runs every service's explicit migrate step, one after the other; stops at the first failure (or when `group` is stopping). */
export async function migrateAll(
  io: Output,
  env: NodeJS.ProcessEnv = process.env,
  view: LogView = PASS_THROUGH,
  group?: ChildGroup,
  services: readonly OrzoService[] = ORZO_SERVICES,
): Promise<number> {
  for (const { name } of services) {
    if (group?.stopping) return EXIT.interrupted;
    const child = run(name, ['migrate'], env);
    showLines(child, name, io, view);
    const code = await (group ? group.add(`${name} migrate`, child) : new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1))));
    if (code !== 0) {
      io.err(`migrate failed for ${name} (exit ${code})`);
      return code;
    }
  }
  return 0;
}

/**
 * `orzo up`: migrates, then runs all six services (or `services`: `--only`, e.g. the
 * discovery-publisher of one more host) and the dashboard in the foreground, showing their logs (readable
 * or as JSON, per view). Ctrl-C or SIGTERM (once, however many copies arrive) is forwarded to
 * every service, which stops cleanly; what is still alive after the deadline is killed, and a
 * second Ctrl-C kills at once. If one service exits, the others are stopped too. Returns only
 * when no child is left: 0 after a clean stop, 1 when a service failed or had to be killed.
 */
export async function up(
  io: Output,
  env: NodeJS.ProcessEnv = process.env,
  view: LogView = PASS_THROUGH,
  deadlineMs?: number,
  services: readonly OrzoService[] = ORZO_SERVICES,
  /** Start the dashboard too (not with --only: a host running only its discovery-publisher has none). */
  dashboard = true,
): Promise<number> {
  const group = new ChildGroup(io.err, deadlineMs).listen();
  // Whoever read our output may go (a closed pipe): keep supervising the services, which would
  // otherwise be orphaned, running with no one to stop them.
  const ignoreBrokenPipe = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  };
  process.stdout.on('error', ignoreBrokenPipe);
  process.stderr.on('error', ignoreBrokenPipe);
  try {
    const migrated = await migrateAll(io, env, view, group, services);
    if (migrated !== 0) return migrated;
    if (group.stopping) return EXIT.interrupted;
    const started: Array<{ name: string; env: NodeJS.ProcessEnv }> = services.map(({ name, httpPort }) => ({
      name,
      env: { ...env, ORZO_HTTP_PORT: env[`ORZO_${name.toUpperCase().replace(/-/g, '_')}_HTTP_PORT`] ?? String(httpPort) },
    }));
    // The dashboard listens on its own ORZO_DASHBOARD_HOST / ORZO_DASHBOARD_PORT.
    if (dashboard) started.push({ name: ORZO_DASHBOARD.name, env });
    const exits = started.map(({ name, env: childEnv }) => {
      const child = run(name, [], childEnv);
      showLines(child, name, io, view);
      return group.add(name, child).then((code) => {
        if (!group.stopping) group.stop(`${name} exited with ${code}`);
        return code;
      });
    });
    const codes = await Promise.all(exits);
    const clean = await group.stopped();
    if (!clean) return EXIT.failure;
    return codes.every((c) => c === 0) ? 0 : Math.max(...codes, 1);
  } finally {
    await group.stopped();
    group.dispose();
  }
}
