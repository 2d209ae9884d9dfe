import { ORZO_SERVICES, api } from '@orzo/contracts';
import { ControlApiOptions, client, unary } from './api-commands';
import { EXIT, Output, UsageError } from './command-kit';

export interface WaitReadyOptions extends ControlApiOptions {
  service?: string;
  proxy?: string;
  expectVersion?: string;
  timeout?: string;
}

interface Check {
  part: string;
  ok: boolean;
  detail: string;
}

const ATTEMPT_MS = 3_000;

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(ATTEMPT_MS) });
  return { status: res.status, body: (await res.text()).trim() };
}

function reason(err: unknown): string {
  const e = err as { details?: string; cause?: { code?: string; message?: string }; message?: string };
  return e.details ?? e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** The six services' /healthz (ports from ORZO_<SERVICE>_HTTP_PORT, else the defaults): the failing ones. */
async function servicesHealth(env: NodeJS.ProcessEnv): Promise<Check[]> {
  return Promise.all(
    ORZO_SERVICES.map(async ({ name, httpPort }) => {
      const port = env[`ORZO_${name.toUpperCase().replace(/-/g, '_')}_HTTP_PORT`] ?? String(httpPort);
      try {
        const r = await get(`http://127.0.0.1:${port}/healthz`);
        return { part: `${name} :${port}/healthz`, ok: r.status === 200, detail: r.status === 200 ? 'ok' : `${r.status} ${r.body.slice(0, 300)}` };
      } catch (err) {
        return { part: `${name} :${port}/healthz`, ok: false, detail: reason(err) };
      }
    }),
  );
}

/** The service's instances in the status read model: every replica desired is healthy at the desired version. */
async function instances(c: api.ControlApiClient, service: string): Promise<Check[]> {
  try {
    const st = await unary<api.GetStatusRequest, api.GetStatusResponse>(c, 'getStatus', { service, cluster: '', instance: '' });
    if (st.instances.length === 0) return [{ part: `${service} status`, ok: false, detail: 'no instance known to control-api yet' }];
    return st.instances.map((i) => {
      const old = i.replicas.filter((r) => r.gitSha !== i.desiredGitSha).length;
      const replicas = i.replicas.map((r) => `${r.replicaId.slice(0, 12)} ${r.state}`).join(', ');
      const ok = i.state === 'Running' && i.desiredReplicas > 0 && i.healthyReplicas >= i.desiredReplicas && old === 0;
      const detail = `${i.state}; ${i.healthyReplicas}/${i.desiredReplicas} healthy at ${i.desiredGitSha.slice(0, 8) || '(none marked)'}${old ? `, ${old} old` : ''}${replicas ? ` [${replicas}]` : ''}`;
      return { part: `${service}.${i.instance} in ${i.cluster}`, ok, detail };
    });
  } catch (err) {
    return [{ part: 'control-api', ok: false, detail: `not reachable: ${reason(err)}` }];
  }
}

/** GET <proxy>/status answers 200, and <proxy>/version is the expected version when one is given. */
async function throughProxy(proxy: string, version?: string): Promise<Check> {
  const part = `HAProxy ${proxy}`;
  try {
    const status = await get(`http://${proxy}/status`);
    if (status.status !== 200) return { part, ok: false, detail: `/status answered ${status.status}` };
    if (!version) return { part, ok: true, detail: '/status 200' };
    const v = await get(`http://${proxy}/version`);
    return v.body === version
      ? { part, ok: true, detail: `/status 200, version ${version.slice(0, 8)}` }
      : { part, ok: false, detail: `serves version ${v.body.slice(0, 40) || '(none)'}, not ${version.slice(0, 8)}` };
  } catch (err) {
    return { part, ok: false, detail: reason(err) };
  }
}

/**
 * `orzo wait-ready -s <service> [--proxy host:port] [--expect-version v] [--timeout s]`: waits until every
 * instance of the service is Running with all replicas healthy (status read model) and, with
 * --proxy, it answers through HAProxy (at that version). Exit 0 when ready; on timeout exit 1
 * with each part that is not ready and why, and the services' /healthz.
 */
export async function waitReady(v: WaitReadyOptions, io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!v.service) throw new UsageError('wait-ready needs -s <service>');
  const timeoutS = Number(v.timeout ?? 60);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout ${v.timeout} is not a number of seconds`);
  const deadline = Date.now() + timeoutS * 1000;
  const c = client(v);
  try {
    let checks: Check[] = [];
    for (;;) {
      checks = await instances(c, v.service);
      if (v.proxy) checks.push(await throughProxy(v.proxy, v.expectVersion));
      if (checks.every((x) => x.ok)) {
        for (const x of checks) io.out(`ready: ${x.part}: ${x.detail}`);
        return EXIT.ok;
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    io.err(`not ready after ${timeoutS}s:`);
    for (const x of checks) io.err(`  ${x.ok ? 'ok     ' : 'NOT OK '} ${x.part}: ${x.detail}`);
    const health = await servicesHealth(env);
    for (const h of health) io.err(`  ${h.ok ? 'ok     ' : 'NOT OK '} ${h.part}: ${h.detail}`);
    io.err(`Inspect with: orzo status -s ${v.service}`);
    return EXIT.failure;
  } finally {
    c.close();
  }
}
