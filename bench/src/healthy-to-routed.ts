// bench/healthy-to-routed: from a replica passing its health check (monitor-bridge's own
// timestamp: the occurredAt of its instance.healthy) to HAProxy routing to it (its server slot
// `ready` at the replica's address in HAProxy's runtime API), over many replicas: the example
// service (4 replicas) is deployed back and forth between two versions, and each new replica
// is one sample.
// Next to it, the floor measured in the same run on the same NATS and HAProxy: the least the
// path must do, one event through JetStream (publish until a pull consumer receives it) plus
// one runtime API `set server` round trip.
// HAProxy is watched by a worker thread (routed-poller.worker.ts) on a runtime API session of its
// own in interactive mode, so the deploys this thread drives cannot space its polls: back to back
// while a replica waits to be routed (one poll in flight, a round trip each), about every ms while
// a deploy is under way. Each sample is bounded between the last poll that did not see it ready
// (sent at) and the first that did (answered at); the poller keeps what it saw, so a sample or
// an address that reaches it late is still placed by the polls made before.
// Usage: npm run bench:routed [-- samples=200] (200: the p99 is the 3rd largest, not the largest)   (needs Docker, HAProxy)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import Docker from 'dockerode';
import { Kvm } from '@nats-io/kv';
import { connectNats } from '@orzo/bus';
import { DiscoveryRegistry, InstanceHealthy, Subjects, decodeEvent } from '@orzo/contracts';
import { HaproxyRuntime } from '@orzo/platform';
import { copySoaConfigs, startPlatform, waitFor } from '@orzo/testing';
import { percentile, recordFigure } from './figures';
import { buildExampleVersions } from './example-versions';
import type { FloorOptions, FromFloor, ToFloor, Walk } from './routed-floor.worker';
import type { FromPoller, PollerOptions, Spread, ToPoller } from './routed-poller.worker';

const log = (line: string) => process.stdout.write(`${line}\n`);
const REPLICAS = 4;
/** The loaded floor's walks that count for the p99: started this close to a replica's check passing. */
const NEAR_MS = 50;

/** Wall-clock ms with sub-ms precision (the same clock as Date.now()). */
const now = () => performance.timeOrigin + performance.now();

/** The "addr:port"s a replica may be routed at: its published address and its bridge-network one. */
const addressesOf = (r: { host: string; port: number; bridgeIp?: string; bridgePort?: number }) => [
  `${r.host}:${r.port}`,
  ...(r.bridgeIp && r.bridgePort ? [`${r.bridgeIp}:${r.bridgePort}`] : []),
];

/** The floor thread (routed-floor.worker.ts): walks the least path while armed; its walks come back at 'stop'. */
function startFloor(options: FloorOptions): { floorThread: Worker; trips: Promise<Walk[]> } {
  const floorThread = new Worker(join(__dirname, 'routed-floor.worker.js'), { workerData: options });
  floorThread.unref();
  const trips = new Promise<Walk[]>((resolve, reject) => {
    floorThread.on('message', (m: FromFloor) => (m.type === 'trips' ? resolve(m.walks) : reject(new Error(`the floor thread failed: ${m.error}`))));
    floorThread.once('error', reject);
    floorThread.once('exit', (code) => reject(new Error(`the floor thread exited (code ${code}) before its answer`)));
  });
  trips.catch(() => undefined); // awaited at the end
  return { floorThread, trips };
}

/**
 * The poller thread, and a promise that rejects when it fails or exits (it never resolves: race
 * it against what waits for its answers). Unref'd: it never keeps the process alive by itself.
 */
function startPoller(options: PollerOptions, onMessage: (m: FromPoller) => void): { poller: Worker; failed: Promise<never> } {
  const poller = new Worker(join(__dirname, 'routed-poller.worker.js'), { workerData: options });
  poller.unref();
  poller.on('message', onMessage);
  const failed = new Promise<never>((_, reject) => {
    poller.once('error', reject);
    poller.once('exit', (code) => reject(new Error(`the HAProxy poller thread exited (code ${code})`)));
  });
  failed.catch(() => undefined); // reported where it is raced
  return { poller, failed };
}

interface Sample {
  replicaId: string;
  host: string;
  port: number;
  /** instance.healthy's occurredAt (monitor-bridge's clock, ms). */
  healthyAt: number;
  /** When the registry's endpoints entry listing it was stored (the NATS server's clock). */
  registeredAt?: number;
  /** When the bench's main thread had the instance.healthy (its clock, sub-ms). */
  receivedAt: number;
  /** When HAProxy's runtime API first showed its slot ready (the answer's arrival): routed at the latest then. */
  routedAt?: number;
  /** When the last poll that did not show it ready was sent, or healthyAt if later: routed after that. */
  notBefore?: number;
  /** A poll answered by healthyAt showed its address ready already (a stale address): not a sample. */
  early?: boolean;
  /** The round trip of the poll that saw it ready. */
  pollMs?: number;
  /** The part of [notBefore, routedAt] with no poll in flight (the poller's own share of the bound). */
  idleMs?: number;
  /** discovery-publisher's own hop times (its 'replica routed' log line), ms after healthyAt. */
  hops?: { received: number; routed: number; stored: number };
}

/** discovery-publisher's 'replica routed' log lines (registrar.service.ts): its own hop times of each sample. */
function readHops(output: string, samples: Sample[]): void {
  const bySample = new Map(samples.map((s) => [s.replicaId, s]));
  for (const line of output.split('\n')) {
    if (!line.includes('"msg":"replica routed"')) continue;
    try {
      const { replicaId, ms } = JSON.parse(line.slice(line.indexOf('{'))) as { replicaId: string; ms: Sample['hops'] };
      const s = bySample.get(replicaId);
      if (s && ms) s.hops = ms;
    } catch {
      // a line cut by the output's size limit
    }
  }
}

async function main(): Promise<void> {
  const wanted = Number(process.argv.find((a) => a.startsWith('samples='))?.slice(8) ?? 200);
  const docker = new Docker();
  const versions = await buildExampleVersions(docker, 2);
  const service = `routebench${Math.random().toString(36).slice(2, 7)}`;
  // The example's own instance config (drain delay 1 s), with one more replica.
  const soa = await copySoaConfigs({ service });
  const instanceFile = join(soa.dir, service, 'kubernetes-local.yaml');
  writeFileSync(instanceFile, readFileSync(instanceFile, 'utf8').replace(/^( {2}instances:) \d+$/m, `$1 ${REPLICAS}`));
  const registration = `${service}.main`;
  for (const v of versions) await docker.getImage(`services-hello:orzo-${v}`).tag({ repo: `services-${service}`, tag: `orzo-${v}` });
  const ours = async (v?: string) =>
    (await docker.listContainers({ filters: { label: [`orzo.service=${service}`, ...(v ? [`orzo.git_sha=${v}`] : [])], status: ['running'] } })).map(
      (c) => c.Id,
    );

  const platform = await startPlatform({ ORZO_SOA_DIR: soa.dir });
  const socketPath = join(platform.env.ORZO_DATA_DIR!, 'haproxy', 'haproxy.sock');
  // This thread's session: the floor's `set server` round trips.
  const runtime = new HaproxyRuntime(socketPath);
  const nc = await connectNats(platform.nats.url, 'bench-routed');
  const samples = new Map<string, Sample>();
  const early = new Set<string>();
  let statsReply: ((m: Extract<FromPoller, { type: 'stats' }>) => void) | undefined;
  const { poller, failed } = startPoller({ socketPath, backend: registration }, (m) => {
    if (m.type === 'stats') return statsReply?.(m);
    const s = samples.get(m.replicaId);
    if (m.type === 'routed' && s) Object.assign(s, { notBefore: m.notBefore, routedAt: m.routedAt, pollMs: m.pollMs, idleMs: m.idleMs });
    else if (m.type === 'early' && s) {
      s.early = true;
      early.add(s.replicaId);
    }
  });
  const { floorThread, trips: loadedTrips } = startFloor({ natsUrl: platform.nats.url, socketPath, spareSlot: `${registration}/slot32` });
  let floorFailed: Error | undefined;
  loadedTrips.catch((err: Error) => (floorFailed = err));
  const tell = (m: ToPoller) => {
    poller.postMessage(m);
    if (m.type === 'arm') floorThread.postMessage({ ...m, phase: 'deploys' } satisfies ToFloor);
  };
  const pollerStats = () =>
    new Promise<Extract<FromPoller, { type: 'stats' }>>((resolve) => {
      statsReply = resolve;
      tell({ type: 'stats' });
    });
  /** What waits for the poller's answers, failing if it does. */
  const unlessPollerFails = <T>(p: Promise<T>) => Promise.race([p, failed]);
  // Once, whoever asks first (a signal, the end, a failure); a later caller waits for the same
  // cleanup rather than exiting while it runs.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all([poller.terminate(), floorThread.terminate()]);
      runtime.reset();
      await nc.close().catch(() => undefined);
      await platform.stop();
      for (const c of await docker.listContainers({ all: true, filters: { label: [`orzo.service=${service}`] } }))
        await docker.getContainer(c.Id).remove({ force: true });
      for (const v of versions)
        await docker
          .getImage(`services-${service}:orzo-${v}`)
          .remove()
          .catch(() => undefined);
    })());
  // Ctrl-C or a timeout's SIGTERM: nothing of this run outlives it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    // Every replica's address as the registry lists it (its published address and, on this host,
    // its bridge-network address, which HAProxy uses instead: discovery-publisher's routeAddress),
    // and when that entry was stored.
    const kv = await new Kvm(nc).create(DiscoveryRegistry.bucket, { history: DiscoveryRegistry.history });
    const watch = await kv.watch({ key: DiscoveryRegistry.endpointsKey(registration) });
    void (async () => {
      for await (const e of watch) {
        if (e.operation !== 'PUT') continue;
        const decoded = DiscoveryRegistry.decodeEndpoints(e.json());
        if (!decoded.ok) continue;
        for (const ep of decoded.value) {
          tell({ type: 'addresses', replicaId: ep.replicaId, addresses: addressesOf(ep) });
          const s = samples.get(ep.replicaId);
          if (s && s.registeredAt === undefined) s.registeredAt = e.created.getTime();
        }
      }
    })();
    // Each instance.healthy of our service is a sample waiting to be routed: the poller places it
    // (each for 30 s at most), at the addresses the event carries and those the registry adds.
    const sub = nc.subscribe(Subjects.InstanceHealthy);
    void (async () => {
      for await (const m of sub) {
        const d = decodeEvent(Subjects.InstanceHealthy, m.data);
        const r = d.ok ? (d.event.payload as InstanceHealthy).replica : undefined;
        if (!d.ok || !r || r.service !== service) continue;
        const healthyAt = Date.parse(d.event.envelope.occurredAt);
        samples.set(r.replicaId, { replicaId: r.replicaId, host: r.host, port: r.port, healthyAt, receivedAt: now() });
        tell({ type: 'sample', replicaId: r.replicaId, healthyAt, addresses: addressesOf(r) });
      }
    })();

    tell({ type: 'arm', armed: true });
    const mark = platform.cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', versions[0]!]);
    if (mark.status !== 0) throw new Error(`mark-for-deployment failed: ${mark.stderr}`);
    const allRouted = () => [...samples.values()].filter((s) => s.routedAt !== undefined).length;
    await unlessPollerFails(waitFor(async () => (await ours()).length === REPLICAS && allRouted() >= REPLICAS, { timeoutMs: 90_000, intervalMs: 50 }));
    tell({ type: 'arm', armed: false });
    // The first deploy also starts HAProxy with the new frontend: not a sample.
    const warmup = new Set(samples.keys());

    // The floor, on the same NATS server and HAProxy, before the deploys: a JetStream publish
    // until a durable pull consumer waiting for it (its pull request already at the server, as
    // the platform's consumers' are) has it, and one `set server` round trip (on a slot no
    // replica uses); walked by the floor thread for a second, about 150 times.
    floorThread.postMessage({ type: 'arm', armed: true, phase: 'idle' } satisfies ToFloor);
    await sleep(1_000);
    floorThread.postMessage({ type: 'arm', armed: false, phase: 'idle' } satisfies ToFloor);
    if (floorFailed) throw floorFailed;

    // Deploys back and forth between two versions: each starts REPLICAS new replicas together
    // (a crossover), and each of them passing its check is a sample. Killing replicas instead
    // would run into the crash-loop backoff after a few kills.
    tell({ type: 'arm', armed: true });
    for (let round = 1; [...samples.keys()].filter((k) => !warmup.has(k)).length < wanted; round++) {
      const v = versions[round % 2]!;
      const before = new Set(samples.keys());
      const r = platform.cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', v]);
      if (r.status !== 0) throw new Error(`mark-for-deployment failed: ${r.stderr}`);
      const fresh = () => [...samples.values()].filter((s) => !before.has(s.replicaId) && (s.routedAt !== undefined || s.early)).length;
      await unlessPollerFails(
        waitFor(async () => fresh() >= REPLICAS && (await ours(v)).length === REPLICAS && (await ours()).length === REPLICAS, {
          timeoutMs: 120_000,
          intervalMs: 20,
          what: `deploy ${round}: ${REPLICAS} new replicas routed, the old ones gone: ${JSON.stringify([...samples.values()].filter((s) => !before.has(s.replicaId)))}\n${platform.output().slice(-3000)}`,
        }),
      );
      const these = [...samples.values()].filter((s) => !before.has(s.replicaId) && s.routedAt !== undefined);
      readHops(platform.output(), these);
      log(
        `  deploy ${round}: healthy -> routed ${these.map((s) => (s.routedAt! - s.healthyAt).toFixed(1)).join(', ')} ms (${samples.size - warmup.size} samples so far)`,
      );
    }
    tell({ type: 'arm', armed: false });
    const stats = await unlessPollerFails(pollerStats());
    floorThread.postMessage({ type: 'stop' } satisfies ToFloor);
    const all = await Promise.race([loadedTrips, sleep(15_000).then(() => Promise.reject(new Error('the floor thread gave no answer within 15 s')))]);
    const idle = all.filter((w) => w.phase === 'idle');
    if (!idle.length) throw new Error('the floor thread walked no path before the deploys');
    const natsTrips = idle.map((w) => w.natsMs);
    const setServer = idle.map((w) => w.ms - w.natsMs);
    const walks = all.filter((w) => w.phase === 'deploys');

    const done = [...samples.values()].filter((s) => !warmup.has(s.replicaId) && s.routedAt !== undefined);
    const hopped = done.filter((s) => s.hops);
    const earliest = done.map((s) => (s.notBefore ?? s.healthyAt) - s.healthyAt);
    const width = done.map((s) => s.routedAt! - (s.notBefore ?? s.healthyAt));
    const midpoint = done.map((s) => (s.routedAt! + (s.notBefore ?? s.healthyAt)) / 2 - s.healthyAt);
    const late = done.filter((s) => s.routedAt! < s.receivedAt).length;
    const total = done.map((s) => s.routedAt! - s.healthyAt);
    const toRegistry = done.filter((s) => s.registeredAt !== undefined).map((s) => s.registeredAt! - s.healthyAt);
    const registryToHaproxy = done.filter((s) => s.registeredAt !== undefined).map((s) => s.routedAt! - s.registeredAt!);
    const floor = percentile(natsTrips, 50) + percentile(setServer, 50);
    const p = (xs: number[]) =>
      xs.length ? `p50 ${percentile(xs, 50).toFixed(1)} / p99 ${percentile(xs, 99).toFixed(1)} / max ${Math.max(...xs).toFixed(1)} ms` : 'none';
    log(`healthy-to-routed: example service, ${REPLICAS} replicas, ${done.length} new replicas (deploys of 4 at a time), node ${process.version}`);
    log(`  instance.healthy -> HAProxy routes to it          ${p(total)}`);
    log(`    instance.healthy -> registry entry stored      ${p(toRegistry)}`);
    log(`    registry entry stored -> HAProxy routes to it  ${p(registryToHaproxy)}`);
    log(`    the poll that saw it ready, its round trip     ${p(done.map((s) => s.pollMs!))}`);
    log(`    routed after (the last poll not seeing it sent) ${p(earliest)}`);
    log(`    bound width (routed at - routed after)         ${p(width)}`);
    log(`    midpoint of the bound                          ${p(midpoint)}`);
    log(`      of the width, no poll in flight              ${p(done.map((s) => s.idleMs!))}`);
    log(`  the bench's main thread had the instance.healthy ${p(done.map((s) => s.receivedAt - s.healthyAt))}`);
    log(`    ${late} of ${done.length} seen ready before that (placed by the poller's earlier polls)`);
    if (early.size) log(`    ${early.size} replicas left out: an address of theirs was ready before their instance.healthy (stale)`);
    const q = (x: Spread) => (x ? `p50 ${x.p50.toFixed(2)} / p99 ${x.p99.toFixed(2)} / max ${x.max.toFixed(1)} ms (${x.n})` : 'none');
    log(`  the poller thread: ${stats.polls} polls (${stats.failed} failed); while a replica waited:`);
    log(`    from one poll's send to the next               ${q(stats.interval)}`);
    log(`    a poll's round trip                            ${q(stats.roundTrip)}`);
    log(`    its clock - Date.now() at a ms tick            ${stats.clockVsDateNow.toFixed(2)} ms`);
    log(`  discovery-publisher's own times ('replica routed' log, ${hopped.length} of ${done.length}), after instance.healthy:`);
    log(`    the registrar has the event                    ${p(hopped.map((s) => s.hops!.received))}`);
    log(`    its HAProxy answered the slot commands         ${p(hopped.map((s) => s.hops!.routed))}`);
    log(`    the registry write and announcement acked      ${p(hopped.map((s) => s.hops!.stored))}`);
    log(`  floor: JetStream publish -> pull consumer has it ${p(natsTrips)}`);
    log(`         runtime API set server round trip          ${p(setServer)}`);
    // The walks started around the moments routes happen (a replica's check passing: the engine
    // is still starting its siblings), the busiest of a deploy.
    const nearRoutes = walks.filter((w) => done.some((s) => Math.abs(w.at - s.healthyAt) <= NEAR_MS)).map((w) => w.ms);
    const loaded = nearRoutes.length ? nearRoutes : walks.map((w) => w.ms);
    log(`  floor under the same load (the path above walked about every 5 ms while the deploys ran, ${walks.length} walks):`);
    log(`         publish -> consumer has it -> set server answered ${p(walks.map((w) => w.ms))}`);
    log(`         the ${nearRoutes.length} walks started within ${NEAR_MS} ms of a check passing  ${p(nearRoutes)}`);
    log(`  ratio p50 / floor (sum of the two medians, ${floor.toFixed(2)} ms): ${(percentile(total, 50) / floor).toFixed(1)}`);
    if (loaded.length)
      log(
        `  ratio p99 / the loaded floor's p99 (near the routes: ${percentile(loaded, 99).toFixed(2)} ms): ${(percentile(total, 99) / percentile(loaded, 99)).toFixed(2)}`,
      );
    log(
      "  (instance.healthy's occurredAt and the registry entry's time are whole ms, floored: the check passed up to 1 ms after healthyAt, so the figures from it read up to 1 ms long (0.5 ms on average); HAProxy polled by a worker thread on its own session, back to back while a replica waits, about every ms during a deploy)",
    );
    for (const pct of [50, 99])
      recordFigure({
        bench: 'routed',
        measure: `health check passed -> routed by HAProxy, p${pct} of ${total.length}`,
        value: percentile(total, pct),
        unit: 'ms',
        floor:
          pct === 99 && loaded.length
            ? { label: `the same path (JetStream event + set server), walked within ${NEAR_MS} ms of a check passing, p99`, value: percentile(loaded, 99) }
            : { label: 'one JetStream event + one runtime API set server', value: floor },
        goal: pct === 99 ? 'p99 < 10 ms' : '',
        ...(pct === 99 ? { met: percentile(total, 99) < 10 } : {}),
      });
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
