// bench:routed's floor, a worker thread of healthy-to-routed.ts: while armed it walks the least
// path a route must take, again and again: one JetStream publish until a durable pull consumer
// (its pull request already at the server) has it, then one runtime API `set server` round
// trip on a slot no replica uses. The same wake-ups as a route (NATS, a consumer, HAProxy).
// Armed once before the deploys (phase 'idle': the floor of the p50) and while they run
// (phase 'deploys': at the moments routes happen, while the engine starts the deploy's
// containers), so the p99 of a route stands next to the p99 of the physical path on the same
// machine under the same load, not only next to the path on an idle machine.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@orzo/bus';
import { HaproxyRuntime } from '@orzo/platform';

export interface FloorOptions {
  natsUrl: string;
  socketPath: string;
  /** A server slot no replica uses (`<backend>/slot32`). */
  spareSlot: string;
}

export type FloorPhase = 'idle' | 'deploys';
export type ToFloor = { type: 'arm'; armed: boolean; phase: FloorPhase } | { type: 'stop' };
export type FromFloor = { type: 'trips'; walks: Walk[] } | { type: 'failed'; error: string };
/** One walk: its phase, when it started (wall clock, ms), how long until the consumer had the event, and in all. */
export type Walk = { phase: FloorPhase; at: number; natsMs: number; ms: number };

/** Between two walks: the path's own load stays small next to the deploy's. */
const EVERY_MS = 5;
/** After a walk HAProxy did not answer. */
const FAILED_RETRY_MS = 100;
const STREAM = 'BENCH_ROUTED_LOADED';
const SUBJECT = 'bench.routed.loaded';

/** Wall-clock ms with sub-ms precision (the same clock as Date.now() and the main thread's). */
const now = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const { natsUrl, socketPath, spareSlot } = workerData as FloorOptions;
  const port = parentPort!;
  const nc = await connectNats(natsUrl, 'bench-routed-floor');
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  // A work queue: each walk's message is gone once acked, so the stream stays small.
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File, retention: RetentionPolicy.Workqueue });
  await jsm.consumers.add(STREAM, { durable_name: 'floor', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
  const consumer = await js.consumers.get(STREAM, 'floor');
  const runtime = new HaproxyRuntime(socketPath);
  const walks: Walk[] = [];
  let armed = false;
  let phase: FloorPhase = 'idle';
  let stopping = false;
  let wake: (() => void) | undefined;
  port.on('message', (m: ToFloor) => {
    if (m.type === 'arm') ({ armed, phase } = m);
    else stopping = true;
    wake?.();
  });
  const payload = new Uint8Array(300);
  const tagOf = (data: Uint8Array) => new TextDecoder().decode(data.subarray(0, 12)).trim();
  for (let walk = 0; !stopping; walk++) {
    if (!armed) {
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
      continue;
    }
    const next = consumer.next({ expires: 5_000 });
    await sleep(EVERY_MS); // the pull request is at the server, as the platform's consumers' are
    const t = now();
    const tag = String(walk);
    payload.set(new TextEncoder().encode(tag.padEnd(12)));
    const stored = js.publish(SUBJECT, payload);
    stored.catch(() => undefined); // a failed publish is this walk's loss, nothing more
    let m = await next;
    // A walk whose pull expired first left its message in the stream: take stale ones off, and
    // do not count this walk, which waited for them.
    let stale = false;
    while (m && tagOf(m.data) !== tag) {
      stale = true;
      m.ack();
      m = await consumer.next({ expires: 1_000 });
    }
    if (!m) continue;
    const natsMs = now() - t;
    m.ack();
    // HAProxy may not run yet (it starts with the first frontend) or be reloading: not a walk.
    const answered = await runtime.command(`set server ${spareSlot} state maint`).then(
      () => true,
      () => false,
    );
    if (answered && !stale) walks.push({ phase, at: t, natsMs, ms: now() - t });
    else if (!answered) await sleep(FAILED_RETRY_MS);
  }
  runtime.reset();
  await jsm.streams.delete(STREAM).catch(() => undefined);
  await nc.close();
  port.postMessage({ type: 'trips', walks } satisfies FromFloor);
}

main().catch((err: unknown) => {
  parentPort?.postMessage({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromFloor);
  process.exitCode = 1;
});
