import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsServerHandle, REPO_ROOT, freePort, waitFor } from '@orzo/testing';

export interface ControlApiProcess {
  /** host:port of its gRPC API. */
  address: string;
  /** The bootstrap admin token it wrote into its data dir. */
  adminToken: string;
  stop(): Promise<void>;
}

const MAIN = join(REPO_ROOT, 'services', 'control-api', 'dist', 'src', 'main.js');

/** control-api as `orzo up` runs it (migrate, then the service) on its own SQLite data dir, the example soa-configs and free ports. */
export async function startControlApiProcess(nats: NatsServerHandle, extraEnv: NodeJS.ProcessEnv = {}): Promise<ControlApiProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-dashboard-control-'));
  const grpcPort = await freePort();
  const env = {
    ...process.env,
    ORZO_NATS_URL: nats.url,
    ORZO_DATA_DIR: dataDir,
    ORZO_SOA_DIR: join(REPO_ROOT, 'examples', 'soa-configs'),
    ORZO_GRPC_PORT: String(grpcPort),
    ORZO_HTTP_PORT: String(await freePort()),
    ORZO_LOG_LEVEL: 'info',
    ...extraEnv,
  };
  let output = '';
  const run = (args: string[]): ChildProcess => {
    const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    return child;
  };
  const migrate = run(['migrate']);
  const migrated = await new Promise<number | null>((r) => migrate.once('exit', r));
  if (migrated !== 0) throw new Error(`control-api migrate failed (exit ${migrated}):\n${output}`);
  const child = run([]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  try {
    await waitFor(() => output.includes('"msg":"control-api started"') || child.exitCode !== null, {
      timeoutMs: 60_000,
      what: `control-api to start\n${output}`,
    });
    if (child.exitCode !== null) throw new Error(`control-api exited with ${child.exitCode}:\n${output}`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { address: `127.0.0.1:${grpcPort}`, adminToken: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(), stop };
}
