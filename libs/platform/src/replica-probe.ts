import { request as httpsRequest } from 'node:https';
import { Socket } from 'node:net';
import type { HealthcheckSpec } from '@orzo/contracts';

// Shared by monitor-bridge (ongoing health) and scheduler-bridge (the bounce's readiness gate),
// so both judge a replica by exactly the same check.

export interface CheckResult {
  ok: boolean;
  output: string;
}

/** Runs a command inside the replica (Docker exec, through whoever owns the engine). */
export type ReplicaExec = (cmd: string, timeoutMs: number) => Promise<{ exitCode: number; output: string; timedOut: boolean }>;

/**
 * One health check of a replica at host:port, as the instance's spec says (http, https, tcp,
 * cmd, none). A cmd check runs healthcheck_cmd inside the replica through `exec` (exit 0 =
 * healthy); without an exec it fails, saying so, rather than pass unchecked.
 */
export async function checkOnce(hc: HealthcheckSpec | undefined, host: string, port: number, exec?: ReplicaExec): Promise<CheckResult> {
  const mode = hc?.mode || 'none';
  const timeoutMs = Math.max(100, (hc?.timeoutSeconds || 1) * 1000);
  if (mode === 'cmd') return cmdCheck(hc?.cmd ?? '', timeoutMs, exec);
  if (mode === 'https') return httpsCheck(host, port, hc?.uri || '/status', timeoutMs, hc?.headers ?? {});
  if (mode === 'http') {
    const url = `http://${host}:${port}${hc?.uri || '/status'}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: hc?.headers ?? {} });
      const body = (await res.text().catch(() => '')).slice(0, 200).trim();
      return { ok: res.status >= 200 && res.status < 400, output: `GET ${url}: HTTP ${res.status}${body ? ` ${body}` : ''}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, output: `GET ${url}: ${cause ?? (err as Error).message}` };
    }
  }
  if (mode === 'tcp') {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      const done = (v: boolean) => (s.destroy(), resolve(v));
      s.setTimeout(timeoutMs, () => done(false));
      s.once('error', () => done(false));
      s.connect(port, host, () => done(true));
    });
    return { ok, output: `tcp ${host}:${port}: ${ok ? 'connected' : 'refused or timed out'}` };
  }
  // none: "healthy until it exits" (PaaSTA).
  return { ok: true, output: 'no health check: healthy while running' };
}

async function cmdCheck(cmd: string, timeoutMs: number, exec: ReplicaExec | undefined): Promise<CheckResult> {
  if (!cmd) return { ok: false, output: 'healthcheck_mode cmd without a healthcheck_cmd' };
  if (!exec) return { ok: false, output: `cmd ${cmd}: no way to exec in this replica here` };
  try {
    const r = await exec(cmd, timeoutMs);
    const out = r.output.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (r.timedOut) return { ok: false, output: `cmd ${cmd}: timed out after ${timeoutMs} ms` };
    return { ok: r.exitCode === 0, output: `cmd ${cmd}: exit ${r.exitCode}${out ? ` ${out}` : ''}` };
  } catch (err) {
    return { ok: false, output: `cmd ${cmd}: ${(err as Error).message}` };
  }
}

/**
 * GET over TLS without verifying the certificate, as PaaSTA's hacheck does: a replica's
 * certificate is for its clients' names, not for the address the check dials.
 */
function httpsCheck(host: string, port: number, path: string, timeoutMs: number, headers: Record<string, string>): Promise<CheckResult> {
  const url = `https://${host}:${port}${path}`;
  return new Promise((resolve) => {
    const req = httpsRequest({ host, port, path, method: 'GET', headers, rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body.length < 200 ? (body += chunk) : undefined));
      res.on('error', (err) => resolve({ ok: false, output: `GET ${url}: ${err.message}` }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = body.slice(0, 200).trim();
        resolve({ ok: status >= 200 && status < 400, output: `GET ${url}: HTTP ${status}${text ? ` ${text}` : ''}` });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, output: `GET ${url}: ${err.code ?? err.message}` }));
    req.end();
  });
}
