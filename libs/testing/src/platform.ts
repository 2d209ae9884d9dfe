import { ChildProcess, SpawnSyncReturns, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ORZO_DASHBOARD, ORZO_SERVICES } from '@orzo/contracts';
import { stopHaproxyIn } from './haproxy';
import { NatsServerHandle, startNatsServer } from './nats-server';
import { ReadyTarget, serviceLines, waitUntilReady } from './platform-ready';
import { freePort } from './ports';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
/** The `orzo` command of this checkout. */
export const ORZO_CLI = join(REPO_ROOT, 'cli', 'bin', 'orzo.js');
/** The variable `orzo up` reads for one service's HTTP port (ORZO_<SERVICE>_HTTP_PORT). */
export const httpPortVar = (service: string): string => `ORZO_${service.toUpperCase().replace(/-/g, '_')}_HTTP_PORT`;

/**
 * The environment a test platform runs with: its NATS, a temporary data dir, the example
 * soa-configs, free gRPC and HTTP ports, then `env` on top (which may override any of them).
 * The log level is the caller's ORZO_LOG_LEVEL (`ORZO_LOG_LEVEL=warn` quiets a run), info
 * without one; a test that reads info lines sets it in `env`.
 */
export async function platformEnv(natsUrl: string, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const grpc = await freePort();
  const all: NodeJS.ProcessEnv = {
    ...process.env,
    ORZO_NATS_URL: natsUrl,
    ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-platform-')),
    ORZO_SOA_DIR: join(REPO_ROOT, 'examples', 'soa-configs'),
    ORZO_GRPC_PORT: String(grpc),
    ORZO_CONTROL_API: `127.0.0.1:${grpc}`,
    ORZO_RECONCILE_INTERVAL_MS: '1000',
    ORZO_LOG_LEVEL: process.env.ORZO_LOG_LEVEL || 'info',
    ...env,
  };
  for (const { name } of ORZO_SERVICES) all[httpPortVar(name)] ??= String(await freePort());
  all.ORZO_DASHBOARD_PORT ??= String(await freePort());
  return all;
}

/** The dashboard's address in a platform environment (ORZO_DASHBOARD_PORT set by platformEnv). */
export const dashboardUrlOf = (env: NodeJS.ProcessEnv): string => `http://127.0.0.1:${env.ORZO_DASHBOARD_PORT ?? ORZO_DASHBOARD.port}`;

/** Where each of the six services and the dashboard serves /healthz in a platform environment. */
export function readyTargetsOf(env: NodeJS.ProcessEnv, names: readonly string[] = [...ORZO_SERVICES, ORZO_DASHBOARD].map((s) => s.name)): ReadyTarget[] {
  return names.map((name) => ({
    name,
    url:
      name === ORZO_DASHBOARD.name ? dashboardUrlOf(env) : `http://127.0.0.1:${env[httpPortVar(name)] ?? ORZO_SERVICES.find((s) => s.name === name)?.httpPort}`,
  }));
}

export interface PlatformOptions {
  /** Runs `orzo up` in a process group of its own (as a terminal does), so a test can signal the group. */
  detached?: boolean;
}

export interface PlatformHandle {
  /** The pid of `orzo up` (with `detached`, also its process group). */
  pid: number;
  /** Resolves to `orzo up`'s exit code once it exited. */
  exited: Promise<number | null>;
  /** The environment the platform and `cli` run with (ports, data dir, NATS, control-api). */
  env: NodeJS.ProcessEnv;
  nats: NatsServerHandle;
  /** Runs `orzo <args>` against this platform. */
  cli(args: string[], timeoutMs?: number, cwd?: string): SpawnSyncReturns<string>;
  /** The HTTP port of one Orzo service. */
  port(service: string): number;
  /** Where the dashboard (web app and /api gateway) answers: http://127.0.0.1:<port>. */
  dashboardUrl: string;
  /** What the platform printed so far (the last 200 kB). */
  output(): string;
  /** Ctrl-C, wait for the exit, stop its HAProxy and NATS; resolves to `orzo up`'s exit code. */
  stop(): Promise<number | null>;
}

/**
 * The whole platform as a user runs it: `orzo up` (six services as processes) on a private
 * nats-server, free ports and a temporary data dir. `env` adds or overrides variables.
 */
export async function startPlatform(env: NodeJS.ProcessEnv = {}, options: PlatformOptions = {}): Promise<PlatformHandle> {
  const nats = await startNatsServer();
  const all = await platformEnv(nats.url, env);
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [ORZO_CLI, 'up'], { env: all, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const collect = (d: Buffer) => (output = (output + d.toString()).slice(-200_000));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  /** Ctrl-C to `orzo up` and wait for its exit, then its HAProxy and NATS. */
  const shutdown = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await exited;
    }
    await stopHaproxyIn(all.ORZO_DATA_DIR!);
    await nats.dispose();
  };
  try {
    // Ready = every /healthz answers 200 (no log line needed, whatever ORZO_LOG_LEVEL says).
    await waitUntilReady(readyTargetsOf(all), {
      outputOf: (name) => serviceLines(output, name),
      exited: () =>
        child.exitCode !== null || child.signalCode !== null
          ? `orzo up exited (${child.exitCode ?? child.signalCode}) while starting${serviceLines(output, '') ? `; it said:\n${serviceLines(output, '').split('\n').slice(-10).join('\n')}` : ''}`
          : undefined,
    });
  } catch (err) {
    // Nothing of a platform that did not come up may outlive the test that started it.
    await shutdown();
    throw err;
  }
  return {
    pid: child.pid!,
    exited,
    env: all,
    nats,
    cli: (args, timeoutMs = 30_000, cwd) => spawnSync(process.execPath, [ORZO_CLI, ...args], { env: all, encoding: 'utf8', timeout: timeoutMs, cwd }),
    port: (service) => Number(all[httpPortVar(service)]),
    dashboardUrl: dashboardUrlOf(all),
    output: () => output,
    stop: async () => {
      if (process.env.ORZO_E2E_LOG) writeFileSync(process.env.ORZO_E2E_LOG, output);
      await shutdown();
      return child.exitCode;
    },
  };
}

/** The pid of one service's process among `orzo up`'s children, to pause or kill it in a test. */
export function servicePidOf(platform: Pick<PlatformHandle, 'pid'>, service: string): number {
  const line = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(platform.pid)], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.includes(join(service, 'dist')));
  if (!line) throw new Error(`${service} does not run under orzo up`);
  return Number(line.trim().split(/\s+/)[0]);
}
