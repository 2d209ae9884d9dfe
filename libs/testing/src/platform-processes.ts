import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORZO_DASHBOARD, ORZO_SERVICES } from '@orzo/contracts';
import { stopHaproxyIn } from './haproxy';
import { NatsServerHandle, startNatsServer } from './nats-server';
import { ORZO_CLI, PlatformHandle, REPO_ROOT, dashboardUrlOf, httpPortVar, platformEnv, readyTargetsOf } from './platform';
import { waitUntilReady } from './platform-ready';

/** The platform with each service a process of its own, so one can be killed and started again. */
export interface ServicesHandle extends Omit<PlatformHandle, 'pid' | 'exited'> {
  /** Sends the signal (SIGKILL by default) to one service and waits until it has exited. */
  kill(service: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts one service again with the same environment; resolves when its /healthz is 200. */
  start(service: string): Promise<void>;
  pid(service: string): number | undefined;
  /** Whether the service's current process still runs (it did not crash). */
  alive(service: string): boolean;
}

/**
 * The six services and the dashboard run the way `orzo up` runs them (migrate first, then one process each with
 * the same environment and its own ORZO_HTTP_PORT), but supervised by the test instead of by
 * `orzo up`, which stops everything when one exits: a chaos test kills one and restarts it.
 */
export async function startPlatformServices(
  options: {
    env?: NodeJS.ProcessEnv;
    /** A NATS to use instead of a private one. */
    nats?: NatsServerHandle;
    /** Variables of one service only (e.g. its own ORZO_DB_SCHEMA). */
    serviceEnv?: (service: string) => NodeJS.ProcessEnv;
  } = {},
): Promise<ServicesHandle> {
  const bus = options.nats ?? (await startNatsServer());
  const all = await platformEnv(bus.url, options.env ?? {});
  const main = (name: string) => join(REPO_ROOT, 'services', name, 'dist', 'src', 'main.js');
  const envOf = (name: string): NodeJS.ProcessEnv => ({ ...all, ORZO_HTTP_PORT: all[httpPortVar(name)], ...options.serviceEnv?.(name) });
  let output = '';
  const children = new Map<string, ChildProcess>();
  const start = async (name: string): Promise<void> => {
    const childEnv = envOf(name);
    const child = spawn(process.execPath, [main(name)], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(name, child);
    let own = '';
    const collect = (d: Buffer) => {
      own = (own + d.toString()).slice(-50_000);
      output = (output + d.toString().replace(/^(?=.)/gm, `${name} | `)).slice(-400_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await waitUntilReady(readyTargetsOf({ ...childEnv, [httpPortVar(name)]: childEnv.ORZO_HTTP_PORT }, [name]), {
      outputOf: () => own,
      exited: () =>
        child.exitCode !== null || child.signalCode !== null ? `${name} exited (${child.exitCode ?? child.signalCode}) while starting` : undefined,
    });
  };
  const kill = async (name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  };
  try {
    // What `orzo migrate` does, one service at a time, each with its own variables.
    for (const { name } of ORZO_SERVICES) {
      // Not spawnSync: the test's own event loop may serve the database (a proxy in front of it).
      const child = spawn(process.execPath, [main(name), 'migrate'], { env: envOf(name), stdio: ['ignore', 'pipe', 'pipe'] });
      let said = '';
      child.stdout!.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-4000)));
      child.stderr!.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-4000)));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      if (code !== 0) throw new Error(`migrate of ${name} failed (exit ${code}): ${said}`);
    }
    await Promise.all([...ORZO_SERVICES, ORZO_DASHBOARD].map(({ name }) => start(name)));
  } catch (err) {
    // Nothing may outlive a failed start: the test process would never end.
    await Promise.all([...children.keys()].map((name) => kill(name, 'SIGKILL')));
    if (!options.nats) await bus.dispose();
    throw err;
  }

  return {
    env: all,
    nats: bus,
    cli: (args, timeoutMs = 30_000, cwd) => spawnSync(process.execPath, [ORZO_CLI, ...args], { env: all, encoding: 'utf8', timeout: timeoutMs, cwd }),
    port: (service) => Number(all[httpPortVar(service)]),
    dashboardUrl: dashboardUrlOf(all),
    output: () => output,
    kill,
    start,
    pid: (name) => children.get(name)?.pid,
    alive: (name) => {
      const child = children.get(name);
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop: async () => {
      if (process.env.ORZO_E2E_LOG) writeFileSync(process.env.ORZO_E2E_LOG, output);
      // SIGTERM each, SIGKILL what is still there after 10 s: the test must not leave processes.
      await Promise.all(
        [...children.keys()].map(async (name) => {
          const timer = setTimeout(() => void kill(name, 'SIGKILL'), 10_000);
          await kill(name, 'SIGTERM');
          clearTimeout(timer);
        }),
      );
      await stopHaproxyIn(all.ORZO_DATA_DIR!);
      await bus.dispose();
      return 0;
    },
  };
}
