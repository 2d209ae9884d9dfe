import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from './ports';
import { waitFor } from './wait';

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  /** Kills the server (SIGKILL with `hard`), keeping its store. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  /** Stops it and deletes its store. */
  dispose(): Promise<void>;
}

/** A private nats-server with JetStream on a free port and a temporary store. */
export async function startNatsServer(binary = process.env.ORZO_NATS_SERVER_BIN ?? 'nats-server', extraArgs: string[] = []): Promise<NatsServerHandle> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'orzo-nats-'));
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = async (): Promise<void> => {
    stderr = '';
    child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([waitFor(() => canConnect(port), { timeoutMs: 10_000, what: `nats-server on port ${port}` }), exited]);
  };

  const stop = async (hard = false): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await gone;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop,
    start,
    dispose: async () => {
      await stop(true);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
