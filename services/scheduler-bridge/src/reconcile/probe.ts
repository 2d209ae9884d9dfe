import { Socket } from 'node:net';
import type { InstanceSpec } from '@orzo/contracts';
import type { Replica } from '../docker-engine';

export interface ProbeResult {
  ok: boolean;
  output: string;
}

/**
 * Whether a new replica is happy enough for the bounce to drain an old one: running, and
 * passing the instance's health check (http/https: a status below 400 on the check URI; tcp:
 * a connect; cmd and none: running). monitor-bridge owns ongoing health; this is the bounce's
 * own readiness gate until discovery reports UP in HAProxy.
 */
export async function probe(spec: InstanceSpec, replica: Replica): Promise<ProbeResult> {
  if (!replica.running) return { ok: false, output: `container ${replica.state}` };
  const mode = spec.healthcheck?.mode ?? 'none';
  const timeoutMs = Math.min(2_000, Math.max(100, (spec.healthcheck?.timeoutSeconds ?? 1) * 1000));
  if (!replica.hostPort) return { ok: mode === 'none' || mode === 'cmd', output: 'no host port' };
  if (mode === 'http' || mode === 'https') {
    const url = `http://127.0.0.1:${replica.hostPort}${spec.healthcheck?.uri || '/status'}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      return { ok: res.status < 400, output: `GET ${url}: HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, output: `GET ${url}: ${(err as Error).message}` };
    }
  }
  if (mode === 'tcp') {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      const done = (v: boolean) => (s.destroy(), resolve(v));
      s.setTimeout(timeoutMs, () => done(false));
      s.once('error', () => done(false));
      s.connect(replica.hostPort!, '127.0.0.1', () => done(true));
    });
    return { ok, output: `tcp connect 127.0.0.1:${replica.hostPort}: ${ok ? 'ok' : 'refused'}` };
  }
  return { ok: true, output: 'running (no health check)' };
}
