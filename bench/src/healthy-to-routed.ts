// bench/healthy-to-routed: from a replica passing its health check (monitor-bridge's own
// timestamp: the occurredAt of its instance.healthy) to HAProxy routing to it (its server slot
// `ready` at the replica's address in HAProxy's runtime API), over many replicas: the example
// service (4 replicas) is deployed back and forth between two versions, and each new replica
// is one sample.
// Next to it, the floor measured in the same run on the same NATS and HAProxy: the least the
// path must do, one event through JetStream (publish until a pull consumer receives it) plus
// one runtime API `set server` round trip.
// HAProxy is watched through one persistent runtime API session in interactive mode (one poll
// in flight at a time, about every ms while a replica waits to be routed): a poll costs one
// round trip, not a connect, and each sample is bounded between the last poll that did not see
// it ready (sent at) and the first that did (answered at).
// Usage: npm run bench:routed [-- samples=60]   (needs Docker, HAProxy)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connectNats } from '@orzo/bus';
import { DiscoveryRegistry, InstanceHealthy, Subjects, decodeEvent } from '@orzo/contracts';
import { HaproxyRuntime } from '@orzo/platform';
import { copySoaConfigs, startPlatform, waitFor } from '@orzo/testing';
import { percentile, recordFigure } from './figures';
import { buildExampleVersions } from './example-versions';

const log = (line: string) => process.stdout.write(`${line}\n`);
const REPLICAS = 4;

/** Wall-clock ms with sub-ms precision (the same clock as Date.now()). */
const now = () => performance.timeOrigin + performance.now();

/** "addr:port" of every server of the backend HAProxy routes to now (operational state 2, running). */
async function routed(runtime: HaproxyRuntime, backend: string): Promise<Set<string>> {
  return new Set((await runtime.servers(backend)).filter((s) => s.opState === 2).map((s) => `${s.addr}:${s.port}`));
}

interface Sample {
  replicaId: string;
  host: string;
  port: number;
  /** instance.healthy's occurredAt (monitor-bridge's clock, ms). */
  healthyAt: number;
  /** When the registry's endpoints entry listing it was stored (the NATS server's clock). */
  registeredAt?: number;
  /** When HAProxy's runtime API first showed its slot ready (the answer's arrival): routed at the latest then. */
  routedAt?: number;
  /** When the last poll that did not show it ready was sent: routed after that. */
  notBefore?: number;
  /** The round trip of the poll that saw it ready. */
  pollMs?: number;
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
  const wanted = Number(process.argv.find((a) => a.startsWith('samples='))?.slice(8) ?? 60);
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
  const runtime = new HaproxyRuntime(join(platform.env.ORZO_DATA_DIR!, 'haproxy', 'haproxy.sock'));
  const nc = await connectNats(platform.nats.url, 'bench-routed');
  const samples = new Map<string, Sample>();
  /**
   * replicaId -> the "addr:port"s the registry lists for it: its published address and, on this
   * host, its bridge-network address, which HAProxy uses instead (discovery-publisher's routeAddress).
   */
  const addressOf = new Map<string, string[]>();
  let watching = true;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    watching = false;
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
  };
  // Ctrl-C or a timeout's SIGTERM: nothing of this run outlives it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    // Every replica's address as the registry lists it, and when that entry was stored.
    const kv = await new Kvm(nc).create(DiscoveryRegistry.bucket, { history: DiscoveryRegistry.history });
    const watch = await kv.watch({ key: DiscoveryRegistry.endpointsKey(registration) });
    void (async () => {
      for await (const e of watch) {
        if (e.operation !== 'PUT') continue;
        const decoded = DiscoveryRegistry.decodeEndpoints(e.json());
        if (!decoded.ok) continue;
        for (const ep of decoded.value) {
          addressOf.set(ep.replicaId, [`${ep.host}:${ep.port}`, ...(ep.bridgeIp && ep.bridgePort ? [`${ep.bridgeIp}:${ep.bridgePort}`] : [])]);
          const s = samples.get(ep.replicaId);
          if (s && s.registeredAt === undefined) s.registeredAt = e.created.getTime();
        }
      }
    })();
    // Each instance.healthy of our service is a sample waiting to be routed; one loop polls
    // HAProxy (one session, one poll at a time) while any sample waits, each for 30 s at most.
    const waiting = () => [...samples.values()].filter((s) => s.routedAt === undefined && now() - s.healthyAt < 30_000);
    let polling: Promise<void> | undefined;
    const poll = async () => {
      for (let open = waiting(); watching && open.length; open = waiting()) {
        const sent = now();
        const ready = await routed(runtime, registration).catch(() => undefined);
        const at = now();
        for (const s of open) {
          if (!ready) continue;
          if ((addressOf.get(s.replicaId) ?? [`${s.host}:${s.port}`]).some((a) => ready.has(a))) {
            s.routedAt = at;
            s.pollMs = at - sent;
          } else s.notBefore = sent;
        }
        // About 1 ms between polls: fine enough, without HAProxy and this process taking a core.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    const sub = nc.subscribe(Subjects.InstanceHealthy);
    void (async () => {
      for await (const m of sub) {
        const d = decodeEvent(Subjects.InstanceHealthy, m.data);
        const r = d.ok ? (d.event.payload as InstanceHealthy).replica : undefined;
        if (!d.ok || !r || r.service !== service) continue;
        samples.set(r.replicaId, { replicaId: r.replicaId, host: r.host, port: r.port, healthyAt: Date.parse(d.event.envelope.occurredAt) });
        polling ??= poll().finally(() => (polling = undefined));
      }
    })();

    const mark = platform.cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', versions[0]!]);
    if (mark.status !== 0) throw new Error(`mark-for-deployment failed: ${mark.stderr}`);
    const allRouted = () => [...samples.values()].filter((s) => s.routedAt !== undefined).length;
    await waitFor(async () => (await ours()).length === REPLICAS && allRouted() >= REPLICAS, { timeoutMs: 90_000, intervalMs: 50 });
    // The first deploy also starts HAProxy with the new frontend: not a sample.
    const warmup = new Set(samples.keys());

    // The floor, on the same NATS server and HAProxy: a JetStream publish until a durable pull
    // consumer waiting for it (its pull request already at the server, as the platform's
    // consumers' are) has it, and one `set server` round trip (on a slot no replica uses).
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const stream = 'BENCH_ROUTED_FLOOR';
    await jsm.streams.add({ name: stream, subjects: ['bench.routed.floor'], storage: StorageType.File, retention: RetentionPolicy.Limits });
    await jsm.consumers.add(stream, { durable_name: 'floor', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const consumer = await js.consumers.get(stream, 'floor');
    const natsTrips: number[] = [];
    const setServer: number[] = [];
    for (let i = 0; i < 100; i++) {
      const next = consumer.next({ expires: 5_000 });
      await new Promise((r) => setTimeout(r, 2));
      const t = performance.now();
      const stored = js.publish('bench.routed.floor', new Uint8Array(200));
      const m = await next;
      if (!m) throw new Error('the floor message did not arrive within 5 s');
      natsTrips.push(performance.now() - t);
      await stored;
      m.ack();
      const u = performance.now();
      await runtime.command(`set server ${registration}/slot32 state maint`);
      setServer.push(performance.now() - u);
    }
    await jsm.streams.delete(stream);

    // Deploys back and forth between two versions: each starts REPLICAS new replicas together
    // (a crossover), and each of them passing its check is a sample. Killing replicas instead
    // would run into the crash-loop backoff after a few kills.
    for (let round = 1; [...samples.keys()].filter((k) => !warmup.has(k)).length < wanted; round++) {
      const v = versions[round % 2]!;
      const before = new Set(samples.keys());
      const r = platform.cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', v]);
      if (r.status !== 0) throw new Error(`mark-for-deployment failed: ${r.stderr}`);
      const fresh = () => [...samples.values()].filter((s) => !before.has(s.replicaId) && s.routedAt !== undefined).length;
      await waitFor(async () => fresh() >= REPLICAS && (await ours(v)).length === REPLICAS && (await ours()).length === REPLICAS, {
        timeoutMs: 120_000,
        intervalMs: 20,
        what: `deploy ${round}: ${REPLICAS} new replicas routed, the old ones gone: ${JSON.stringify([...samples.values()].filter((s) => !before.has(s.replicaId)))}\n${platform.output().slice(-3000)}`,
      });
      const these = [...samples.values()].filter((s) => !before.has(s.replicaId) && s.routedAt !== undefined);
      readHops(platform.output(), these);
      log(
        `  deploy ${round}: healthy -> routed ${these.map((s) => `${s.routedAt! - s.healthyAt}`).join(', ')} ms (${samples.size - warmup.size} samples so far)`,
      );
    }

    const done = [...samples.values()].filter((s) => !warmup.has(s.replicaId) && s.routedAt !== undefined);
    const hopped = done.filter((s) => s.hops);
    const earliest = done.map((s) => (s.notBefore ?? s.healthyAt) - s.healthyAt);
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
    log(`  discovery-publisher's own times ('replica routed' log, ${hopped.length} of ${done.length}), after instance.healthy:`);
    log(`    the registrar has the event                    ${p(hopped.map((s) => s.hops!.received))}`);
    log(`    its HAProxy answered the slot commands         ${p(hopped.map((s) => s.hops!.routed))}`);
    log(`    the registry write and announcement acked      ${p(hopped.map((s) => s.hops!.stored))}`);
    log(`  floor: JetStream publish -> pull consumer has it ${p(natsTrips)}`);
    log(`         runtime API set server round trip          ${p(setServer)}`);
    log(`  ratio p50 / floor (sum of the two medians, ${floor.toFixed(2)} ms): ${(percentile(total, 50) / floor).toFixed(1)}`);
    log('  (instance.healthy and the registry entry carry whole ms; HAProxy polled on one session about every ms while a replica waits)');
    for (const pct of [50, 99])
      recordFigure({
        bench: 'routed',
        measure: `health check passed -> routed by HAProxy, p${pct} of ${total.length}`,
        value: percentile(total, pct),
        unit: 'ms',
        floor: { label: 'one JetStream event + one runtime API set server', value: floor },
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
