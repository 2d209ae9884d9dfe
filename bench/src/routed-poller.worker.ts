// bench:routed's HAProxy poller, a worker thread of healthy-to-routed.ts: it watches one
// backend's server slots on a runtime API session of its own, so that the main thread's work
// (the deploys: Docker listings, the CLI run synchronously, NATS, parsing the platform's output)
// cannot space its polls. While a sample waits, polls go back to back (one in flight: the next
// is sent when the answer arrives); while a deploy is under way and none waits, about every ms
// (the ready sets are kept, so a sample posted late is placed by the polls made before it came);
// otherwise it does not poll and waits for a message.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { HaproxyRuntime } from '@orzo/platform';
import { percentile } from './figures';
import { ReadyHistory } from './routed-history';

export interface PollerOptions {
  socketPath: string;
  backend: string;
}

export type ToPoller =
  /** Poll (about every ms) even while no sample waits: a deploy is under way. */
  | { type: 'arm'; armed: boolean }
  /** A replica that passed its check; addresses: the "addr:port"s it may be routed at. */
  | { type: 'sample'; replicaId: string; healthyAt: number; addresses: string[] }
  /** More addresses of a replica (the registry's entry), sample or not yet. */
  | { type: 'addresses'; replicaId: string; addresses: string[] }
  | { type: 'stats' };

/** p50 / p99 / max in ms, or undefined without values. */
export type Spread = { p50: number; p99: number; max: number; n: number } | undefined;

export type FromPoller =
  | { type: 'routed'; replicaId: string; notBefore: number; routedAt: number; pollMs: number; idleMs: number }
  | { type: 'early'; replicaId: string; readyAt: number }
  | {
      type: 'stats';
      polls: number;
      failed: number;
      /** While a sample waited: from one poll's send to the next one's, and each poll's round trip. */
      interval: Spread;
      roundTrip: Spread;
      /** This thread's clock (performance.timeOrigin + performance.now()) minus Date.now(), right after Date.now() ticks (the least of 5). */
      clockVsDateNow: number;
    };

/** Wall-clock ms with sub-ms precision (the same clock as Date.now()). */
const now = () => performance.timeOrigin + performance.now();
/** A sample waits this long at most. */
const WAIT_MS = 30_000;
/** Between polls while armed and no sample waits, and after a failed poll. */
const ARMED_EVERY_MS = 1;
const FAILED_RETRY_MS = 5;

const spread = (xs: number[]): Spread =>
  xs.length ? { p50: percentile(xs, 50), p99: percentile(xs, 99), max: xs.reduce((a, b) => Math.max(a, b)), n: xs.length } : undefined;

/**
 * This thread's clock minus Date.now(), read right after Date.now() ticks to the next ms: about
 * 0 when the two agree, off by as much as they disagree (within a ms). The least of 5 ticks: a
 * tick read late (the thread preempted) only adds.
 */
function clockVsDateNow(): number {
  let least = Infinity;
  for (let ticks = 0, last = Date.now(); ticks < 6;) {
    const t = now();
    const d = Date.now();
    if (d === last) continue;
    last = d;
    if (ticks++ > 0) least = Math.min(least, t - d); // the first change may have been read late
  }
  return least;
}

function run(port: NonNullable<typeof parentPort>, { socketPath, backend }: PollerOptions): void {
  const runtime = new HaproxyRuntime(socketPath);
  const history = new ReadyHistory();
  const post = (m: FromPoller) => port.postMessage(m);
  const waiting = new Map<string, { healthyAt: number }>();
  const addressOf = new Map<string, Set<string>>();
  const intervals: number[] = [];
  const roundTrips: number[] = [];
  let polls = 0;
  let failed = 0;
  let armed = false;
  let wake: (() => void) | undefined;

  const addresses = (replicaId: string, more: readonly string[]) => {
    const known = addressOf.get(replicaId) ?? new Set<string>();
    for (const a of more) known.add(a);
    addressOf.set(replicaId, known);
  };
  /** Places every waiting sample the polls so far can place; drops those waiting too long. */
  const settle = () => {
    for (const [replicaId, { healthyAt }] of waiting) {
      const placed = history.place(healthyAt, [...(addressOf.get(replicaId) ?? [])]);
      if (placed) {
        waiting.delete(replicaId);
        post(placed.kind === 'routed' ? { type: 'routed', replicaId, ...placed } : { type: 'early', replicaId, readyAt: placed.readyAt });
      } else if (now() - healthyAt > WAIT_MS) waiting.delete(replicaId);
    }
  };

  port.on('message', (m: ToPoller) => {
    if (m.type === 'arm') armed = m.armed;
    else if (m.type === 'addresses') addresses(m.replicaId, m.addresses);
    else if (m.type === 'sample') {
      addresses(m.replicaId, m.addresses);
      waiting.set(m.replicaId, { healthyAt: m.healthyAt });
    } else if (m.type === 'stats') {
      post({ type: 'stats', polls, failed, interval: spread(intervals), roundTrip: spread(roundTrips), clockVsDateNow: clockVsDateNow() });
      return;
    }
    settle();
    wake?.();
  });

  void (async () => {
    let lastSent: number | undefined;
    for (;;) {
      if (!waiting.size && !armed) {
        lastSent = undefined;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const back2back = waiting.size > 0;
      const sent = now();
      const servers = await runtime.servers(backend).catch(() => undefined);
      const at = now();
      polls++;
      if (!servers) {
        failed++;
        lastSent = undefined;
        await sleep(FAILED_RETRY_MS);
        continue;
      }
      if (back2back) {
        if (lastSent !== undefined) intervals.push(sent - lastSent);
        roundTrips.push(at - sent);
      }
      lastSent = back2back ? sent : undefined;
      // opState 2: running, the slot is routed to.
      history.record(sent, at, new Set(servers.filter((s) => s.opState === 2).map((s) => `${s.addr}:${s.port}`)));
      settle();
      if (!waiting.size) await sleep(ARMED_EVERY_MS);
    }
  })();
}

if (parentPort) run(parentPort, workerData as PollerOptions);
