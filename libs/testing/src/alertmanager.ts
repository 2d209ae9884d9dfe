import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { waitFor } from './wait';

/** An alert as Alertmanager's GET /api/v2/alerts returns it (the fields tests read). */
export interface AlertmanagerAlertView {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  status: { state: string };
}

export interface AlertmanagerHandle {
  url: string;
  port: number;
  /** GET /api/v2/alerts: the alerts it holds (resolved ones are not listed). */
  alerts(): Promise<AlertmanagerAlertView[]>;
  /** Kills it, keeping its storage, so a test can make it unreachable for a while. */
  stop(): Promise<void>;
  /** Starts it again on the same port and storage. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a free port with a
 * temporary storage dir and no clustering: one route, one receiver that sends nowhere.
 */
export async function startAlertmanager(binary = process.env.ORZO_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager'): Promise<AlertmanagerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'orzo-am-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, 'route:\n  receiver: nowhere\n  group_wait: 1s\nreceivers:\n  - name: nowhere\n');
  let child: ChildProcess | undefined;
  let stderr = '';
  const url = `http://127.0.0.1:${port}`;
  const start = async (): Promise<void> => {
    stderr = '';
    child = spawn(
      binary,
      [`--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`alertmanager exited with ${code}: ${stderr}`))));
    exited.catch(() => undefined);
    const ready = async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    await Promise.race([waitFor(ready, { timeoutMs: 20_000, what: `alertmanager on port ${port}` }), exited]);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  await start();
  return {
    url,
    port,
    alerts: async () => {
      const res = await fetch(`${url}/api/v2/alerts`);
      if (res.status !== 200) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}`);
      return (await res.json()) as AlertmanagerAlertView[];
    },
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
