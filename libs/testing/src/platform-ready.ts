import { cpus, loadavg } from 'node:os';

/**
 * Readiness of a platform a test started: every service's `/healthz` answers 200 for that
 * service. A service listens only once its bootstrap is done (bus connected, consumers and
 * responders up, migrations checked), and /healthz needs no log line, so readiness does not
 * depend on ORZO_LOG_LEVEL; the dashboard's /healthz is 200 only once control-api's gRPC
 * answers it.
 */
export interface ReadyTarget {
  /** The service's name, which its /healthz names (`service`). */
  name: string;
  /** http://host:port of its HTTP server. */
  url: string;
}

export interface ReadyOptions {
  /** Overall wait; default startTimeoutMs(), which grows with the machine's load. */
  timeoutMs?: number;
  /** A reason when the process(es) died, so the wait ends at once instead of at the deadline. */
  exited?: () => string | undefined;
  /** What the service printed so far (its last lines go into the error). */
  outputOf: (name: string) => string;
  /** Lines of each service's output shown when it did not come up. */
  lines?: number;
}

/** Per service and CPU: 120 s on an idle machine, more when the run queue is longer than the cores. */
const BASE_S = 120;
/** Below node:test's 600 s per test of run-tests.mjs, so the harness's error is what one reads. */
const CAP_S = 540;

/**
 * How long a platform may take to come up: ORZO_E2E_START_TIMEOUT_S when set, otherwise
 * 120 s scaled by the 1-minute load average per core (at load 20 on 2 cores, 10 times as long),
 * capped at 540 s. `load` is the highest load seen while waiting.
 */
export function startTimeoutMs(env: NodeJS.ProcessEnv = process.env, load: number = loadavg()[0] ?? 0, cores: number = cpus().length || 1): number {
  const set = env.ORZO_E2E_START_TIMEOUT_S;
  if (set !== undefined && set !== '') {
    const s = Number(set);
    if (!Number.isFinite(s) || s <= 0) throw new Error(`ORZO_E2E_START_TIMEOUT_S=${set} is not a positive number of seconds`);
    return s * 1000;
  }
  return Math.round(Math.min(CAP_S, BASE_S * Math.max(1, load / cores)) * 1000);
}

/**
 * One service's lines in a platform's output, where every line is `<service padded> | <line>`
 * (`orzo up`, startPlatformServices); `''` selects the lines of no service (`orzo up`'s own).
 */
export function serviceLines(output: string, service: string): string {
  const own = service ? new RegExp(`^${service}\\s*\\| `) : undefined;
  return output
    .split('\n')
    .filter((l) => l.trim() !== '' && (own ? own.test(l) : !/^[a-z-]+\s*\| /.test(l)))
    .join('\n');
}

/** The error of a wait that ended with services not ready: which, why (their last /healthz answer), and their last lines. */
export function notReadyMessage(
  headline: string,
  missing: ReadonlyArray<{ name: string; last: string }>,
  outputOf: (name: string) => string,
  lines = 15,
): string {
  const parts = [`${headline}; not ready: ${missing.map((m) => `${m.name} (${m.last})`).join(', ')}`];
  for (const m of missing) {
    const tail = outputOf(m.name).split('\n').slice(-lines).join('\n').trim();
    parts.push(`--- ${m.name}: its last lines ---`, tail || '(it printed nothing)');
  }
  return parts.join('\n');
}

/** One probe of a service's /healthz: ready, or what it said instead. */
export async function probeHealth(target: ReadyTarget): Promise<{ ready: boolean; last: string }> {
  try {
    const res = await fetch(`${target.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    let service: unknown;
    try {
      service = (JSON.parse(text) as { service?: unknown }).service;
    } catch {
      service = undefined;
    }
    if (service !== target.name) return { ready: false, last: `${target.url} is not ${target.name}: HTTP ${res.status} ${text.slice(0, 200)}` };
    return res.status === 200 ? { ready: true, last: 'ready' } : { ready: false, last: `/healthz ${res.status}: ${text.slice(0, 300)}` };
  } catch (err) {
    const e = err as { cause?: { code?: string }; name?: string; message?: string };
    return { ready: false, last: `/healthz: ${e.cause?.code ?? (e.name === 'TimeoutError' ? 'no answer within 5s' : e.message)}` };
  }
}

/**
 * Waits until every target's /healthz is 200, polling all of them; throws at once when
 * `exited` reports a death, and at the deadline otherwise, naming each service that is not
 * ready with its last answer and its last lines.
 */
export async function waitUntilReady(targets: readonly ReadyTarget[], options: ReadyOptions): Promise<void> {
  const started = Date.now();
  const lines = options.lines ?? 15;
  let highestLoad = loadavg()[0] ?? 0;
  const limit = () => options.timeoutMs ?? startTimeoutMs(process.env, highestLoad);
  const state = new Map(targets.map((t) => [t.name, { ready: false, last: 'not asked yet' }]));
  const missing = () => targets.filter((t) => !state.get(t.name)!.ready).map((t) => ({ name: t.name, last: state.get(t.name)!.last }));
  for (;;) {
    await Promise.all(
      targets.map(async (t) => {
        if (!state.get(t.name)!.ready) state.set(t.name, await probeHealth(t));
      }),
    );
    if (missing().length === 0) return;
    const died = options.exited?.();
    if (died) throw new Error(notReadyMessage(died, missing(), options.outputOf, lines));
    highestLoad = Math.max(highestLoad, loadavg()[0] ?? 0);
    const elapsed = Date.now() - started;
    if (elapsed >= limit())
      throw new Error(
        notReadyMessage(
          `not ready after ${Math.round(elapsed / 1000)}s (load average up to ${highestLoad.toFixed(1)} on ${cpus().length} cores; ORZO_E2E_START_TIMEOUT_S sets the wait)`,
          missing(),
          options.outputOf,
          lines,
        ),
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
