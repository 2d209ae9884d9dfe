// bench/heal-bounce: two figures of issue #16 on the example service (3 replicas, single host).
// - heal: a replica killed with SIGKILL, until its replacement answers HTTP, next to one bare
//   container of the same image started until it answers (the floor), in the same run;
// - bounce under load: failed requests through HAProxy during a crossover deploy at 50% and at
//   90% of the example's saturation throughput (measured first, same client, same run), next
//   to the same load for the same time with no deploy.
// The bounce runs twice, each on its own platform: HAProxy reaching the replicas at their
// published ports (through docker-proxy) and at their bridge-network addresses (the default),
// so both routes are measured in the same run.
// Usage: npm run bench:heal-bounce   (needs Docker, HAProxy)
//        -- --heal-only: the heal rounds alone (quick)
import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Kvm } from '@nats-io/kv';
import { connectNats } from '@orzo/bus';
import { DiscoveryRegistry, Subjects, decodeEvent } from '@orzo/contracts';
import { LoadLoop, PlatformHandle, copySoaConfigs, httpGet, loadTestcontainers, startHttpContainer, startPlatform, waitFor } from '@orzo/testing';
import { percentile, recordFigure } from './figures';
import { buildExampleVersions } from './example-versions';

const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => percentile(xs, 50);
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Closed loop: `workers` clients, each a new connection per request, for `seconds`; successful requests a second. */
async function saturation(url: string, workers: number, seconds: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let ok = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.setTimeout(2000, () => req.destroy());
      req.on('error', () => resolve());
    });
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) await one();
    }),
  );
  return ok / seconds;
}

/** Where one heal round spent its time, from the engine's own event timestamps (ms after the kill). */
interface HealRound {
  total: number;
  die: number;
  create: number;
  start: number;
  answers: number;
  /** The platform's own times (ms after the kill): the dead announced stopped, the replacement announced started, its first check passed, listed in the registry. */
  stopped: number;
  announced: number;
  healthy: number;
  listed: number;
}

interface Bounce {
  level: number;
  rate: number;
  seconds: number;
  withDeploy: number;
  without: number;
  total: number;
  reasons: Record<string, number>;
  baselineReasons: Record<string, number>;
}

/** Follows the engine's container events of one service: when each container was created, started, died (ms, epoch). */
async function engineEvents(
  docker: Docker,
  service: string,
): Promise<{ at: (id: string, action: string) => number | undefined; started: () => string[]; stop: () => void }> {
  const seen = new Map<string, number>();
  const stream = (await docker.getEvents({ filters: { type: ['container'], label: [`orzo.service=${service}`] } })) as NodeJS.ReadableStream;
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim())) {
      const e = JSON.parse(line) as { Action: string; Actor: { ID: string }; timeNano: number };
      const key = `${e.Actor.ID}/${e.Action}`;
      if (!seen.has(key)) seen.set(key, e.timeNano / 1e6);
    }
  });
  return {
    at: (id, action) => seen.get(`${id}/${action}`),
    started: () => [...seen.keys()].filter((k) => k.endsWith('/start')).map((k) => k.slice(0, -'/start'.length)),
    stop: () => (stream as unknown as { destroy(): void }).destroy(),
  };
}

/**
 * Follows the platform's view of one service's replicas: when each was announced stopped and
 * started (scheduler-bridge), first checked healthy (monitor-bridge): the events' occurredAt,
 * and first listed in the discovery registry (the KV entry's server time: what HAProxy is told).
 */
async function platformEvents(natsUrl: string, service: string): Promise<{ at: (id: string, what: string) => number | undefined; stop: () => Promise<void> }> {
  const nc = await connectNats(natsUrl, 'bench-heal');
  const seen = new Map<string, number>();
  const note = (id: string, what: string, at: number) => !seen.has(`${id}/${what}`) && seen.set(`${id}/${what}`, at);
  const subjects = { stopped: Subjects.InstanceStopped, started: Subjects.InstanceStarted, healthy: Subjects.InstanceHealthy };
  for (const [what, subject] of Object.entries(subjects))
    nc.subscribe(subject, {
      callback: (_err, m) => {
        const d = decodeEvent(subject, m.data);
        const r = d.ok ? (d.event.payload as unknown as { replica?: { service: string; replicaId: string } }).replica : undefined;
        if (d.ok && r?.service === service) note(r.replicaId, what, Date.parse(d.event.envelope.occurredAt));
      },
    });
  const kv = await new Kvm(nc).create(DiscoveryRegistry.bucket, { history: DiscoveryRegistry.history });
  const watch = await kv.watch({ key: DiscoveryRegistry.endpointsKey(`${service}.main`) });
  void (async () => {
    for await (const e of watch) {
      const decoded = e.operation === 'PUT' ? DiscoveryRegistry.decodeEndpoints(e.json()) : undefined;
      for (const ep of decoded?.ok ? decoded.value : []) note(ep.replicaId, 'listed', e.created.getTime());
    }
  })();
  return {
    at: (id, what) => seen.get(`${id}/${what}`),
    stop: async () => {
      watch.stop();
      await nc.close();
    },
  };
}

async function main(): Promise<void> {
  const healOnly = process.argv.includes('--heal-only');
  const docker = new Docker();
  const load = loadavg()[0]!;
  const versions = await buildExampleVersions(docker, 3);
  // A service of its own on a free proxy port: other benches and tests on this Docker Engine are left alone.
  const soa = await copySoaConfigs({ service: `healbench-${Math.random().toString(36).slice(2, 7)}` });
  const service = soa.service;
  for (const v of versions) await docker.getImage(`services-hello:orzo-${v}`).tag({ repo: `services-${service}`, tag: `orzo-${v}` });
  const proxy = `http://127.0.0.1:${soa.proxyPort}`;

  await loadTestcontainers();
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const c = await startHttpContainer(`services-hello:orzo-${versions[0]}`, { port: 8080, path: '/status' });
    bare.push(performance.now() - t);
    await c.stop();
  }

  const running = async (v?: string) =>
    (
      await docker.listContainers({
        filters: { label: [`orzo.service=${service}`, 'orzo.cluster=local', ...(v ? [`orzo.git_sha=${v}`] : [])], status: ['running'] },
      })
    ).map((c) => ({ id: c.Id, port: c.Ports.find((p) => p.PrivatePort === 8080)?.PublicPort }));
  const servesOnly = async (label: string) => {
    for (let i = 0; i < 6; i++) if ((await httpGet(`${proxy}/version`).catch(() => undefined))?.body.trim() !== label) return false;
    return true;
  };

  /** One platform: deploys v1, then runs `body` against it, then stops it and removes the service's containers. */
  const withPlatform = async (env: NodeJS.ProcessEnv, body: (platform: PlatformHandle, mark: (v: string) => void) => Promise<void>) => {
    const platform = await startPlatform({ ORZO_SOA_DIR: soa.dir, ...env });
    const mark = (v: string) => {
      const r = platform.cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', v]);
      if (r.status !== 0) throw new Error(`mark-for-deployment ${v} failed: ${r.stderr}`);
    };
    try {
      mark(versions[0]!);
      await waitFor(async () => (await running(versions[0])).length === 3 && (await servesOnly('v1')), { timeoutMs: 90_000, intervalMs: 50 });
      await body(platform, mark);
    } catch (err) {
      const file = join(tmpdir(), `heal-bounce-platform-${process.pid}.log`);
      writeFileSync(file, platform.output());
      log(`the platform's output: ${file}`);
      throw err;
    } finally {
      await platform.stop();
      const left = await docker.listContainers({ all: true, filters: { label: [`orzo.service=${service}`, 'orzo.cluster=local'] } });
      for (const c of left) await docker.getContainer(c.Id).remove({ force: true });
    }
  };

  /** Kills one replica after another; each round timed from the kill to its replacement answering on its own port. */
  const heal = async (platform: PlatformHandle): Promise<HealRound[]> => {
    const rounds: HealRound[] = [];
    const events = await engineEvents(docker, service);
    const seen = await platformEvents(platform.nats.url, service);
    const platformTimes: Array<() => void> = [];
    try {
      for (let round = 0; round < 5; round++) {
        const before = await running(versions[0]);
        const victim = before[round % before.length]!;
        // The floor again, with the platform running as during the heal (the first floor is
        // taken before the platform starts, on a quieter machine).
        const t0 = performance.now();
        const c = await startHttpContainer(`services-hello:orzo-${versions[0]}`, { port: 8080, path: '/status' });
        bareWithPlatform.push(performance.now() - t0);
        await c.stop();
        // A replica that has served a while, as in production (and seen healthy by the platform).
        await new Promise((r) => setTimeout(r, 1_000));
        // The replacement is learnt from the events stream and asked for its port once: polling
        // the engine's API meanwhile would slow the very start being measured. What started
        // before is noted before the kill: under load the kill call may return after the
        // replacement started.
        const known = new Set([...before.map((b) => b.id), ...events.started()]);
        const killedAt = Date.now();
        const t = performance.now();
        await docker.getContainer(victim.id).kill({ signal: 'SIGKILL' });
        const freshId = await waitFor(() => events.started().find((id) => !known.has(id)), { timeoutMs: 60_000, intervalMs: 2 });
        const binding = (await docker.getContainer(freshId).inspect()).NetworkSettings.Ports['8080/tcp']?.[0];
        const fresh = { id: freshId, port: Number(binding?.HostPort) };
        await waitFor(async () => (await httpGet(`http://127.0.0.1:${fresh.port}/status`, 500).catch(() => undefined))?.status === 200, {
          timeoutMs: 60_000,
          intervalMs: 5,
        });
        const total = performance.now() - t;
        const since = (at: number | undefined) => (at === undefined ? NaN : at - killedAt);
        rounds.push({
          total,
          die: since(events.at(victim.id, 'die')),
          create: since(events.at(fresh.id, 'create')),
          start: since(events.at(fresh.id, 'start')),
          answers: total,
          stopped: NaN,
          announced: NaN,
          healthy: NaN,
          listed: NaN,
        });
        // Let the platform settle (discovery, health) before the next kill.
        await waitFor(async () => (await running(versions[0])).length === 3 && (await servesOnly('v1')), { timeoutMs: 60_000, intervalMs: 50 });
        // The platform's times are read after the last round: a first check may pass after the settle.
        platformTimes.push(() =>
          Object.assign(rounds[round]!, {
            stopped: since(seen.at(victim.id, 'stopped')),
            announced: since(seen.at(fresh.id, 'started')),
            healthy: since(seen.at(fresh.id, 'healthy')),
            listed: since(seen.at(fresh.id, 'listed')),
          }),
        );
      }
      await new Promise((r) => setTimeout(r, 1_000));
      platformTimes.forEach((fill) => fill());
    } finally {
      events.stop();
      await seen.stop();
    }
    return rounds;
  };

  /** Saturation, then a crossover deploy at 50% and 90% of it, each next to the same load for as long with no deploy. */
  const bounceUnderLoad = async (mark: (v: string) => void): Promise<{ saturated: number; bounces: Bounce[] }> => {
    const saturated = await saturation(`${proxy}/status`, 16, 5);
    const bounces: Bounce[] = [];
    for (const [i, level] of [0.5, 0.9].entries()) {
      const rate = Math.max(1, Math.floor(saturated * level));
      const next = versions[i + 1]!;
      const label = `v${i + 2}`;
      const deployLoad = new LoadLoop(`${proxy}/status`, rate, 2000).start();
      const t = performance.now();
      mark(next);
      await waitFor(async () => (await running(next)).length === 3 && (await running()).length === 3 && (await servesOnly(label)), {
        timeoutMs: 180_000,
        intervalMs: 20,
      });
      await new Promise((r) => setTimeout(r, 1000));
      const seconds = (performance.now() - t) / 1000;
      const during = await deployLoad.stop();
      const quiet = new LoadLoop(`${proxy}/status`, rate, 2000).start(seconds);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const baseline = await quiet.stop();
      bounces.push({
        level,
        rate,
        seconds,
        withDeploy: during.failed,
        without: baseline.failed,
        total: during.total,
        reasons: during.reasons,
        baselineReasons: baseline.reasons,
      });
    }
    return { saturated, bounces };
  };

  const runs: Array<{ route: string; saturated: number; bounces: Bounce[] }> = [];
  let heals: HealRound[] = [];
  const bareWithPlatform: number[] = [];
  try {
    if (!healOnly) {
      await withPlatform({ ORZO_PROXY_BRIDGE_ADDRESSES: 'false' }, async (_p, mark) => {
        runs.push({ route: 'published port (docker-proxy)', ...(await bounceUnderLoad(mark)) });
      });
    }
    await withPlatform({}, async (platform, mark) => {
      heals = await heal(platform);
      if (!healOnly) runs.push({ route: 'bridge address', ...(await bounceUnderLoad(mark)) });
    });
  } finally {
    for (const v of versions)
      await docker
        .getImage(`services-${service}:orzo-${v}`)
        .remove({ noprune: true })
        .catch(() => undefined);
  }

  const totals = heals.map((h) => h.total);
  log(`heal-bounce: example service, 3 replicas, single Docker host, node ${process.version}, load average ${load.toFixed(1)} at the start`);
  log(`  bare container start until it answers HTTP (median of ${bare.length})   ${ms(median(bare))}   [${bare.map(ms).join(', ')}]`);
  log(`  replica killed -> replacement answers (median of ${heals.length})   ${ms(median(totals))}   [${totals.map(ms).join(', ')}]`);
  log(`  ratio heal / bare start: ${(median(totals) / median(bare)).toFixed(2)}   goal <= 1.5`);
  log(
    `  bare container start with the platform running, one before each kill (median of ${bareWithPlatform.length})   ${ms(median(bareWithPlatform))}   [${bareWithPlatform.map(ms).join(', ')}]; ratio heal / it: ${(median(totals) / median(bareWithPlatform)).toFixed(2)}`,
  );
  log(
    '  per round, ms after the kill: engine events die / replacement created / started, it answers; platform events: dead announced stopped / replacement announced started / first check passed (instance.healthy) / listed in the registry (HAProxy told)',
  );
  for (const h of heals)
    log(
      `    ${[h.die, h.create, h.start, h.answers].map((x) => x.toFixed(0).padStart(5)).join(' ')}  | ${[h.stopped, h.announced, h.healthy, h.listed].map((x) => x.toFixed(0).padStart(5)).join(' ')}`,
    );
  const gap = (f: (h: HealRound) => number) => ms(median(heals.map(f).filter((x) => !Number.isNaN(x))));
  log(
    `  median: the die event ${gap((h) => h.die)}, die -> created ${gap((h) => h.create - h.die)}, created -> started ${gap((h) => h.start - h.create)}, started -> answers ${gap((h) => h.answers - h.start)}`,
  );
  log(
    `  median: die -> announced stopped ${gap((h) => h.stopped - h.die)}, started -> announced started ${gap((h) => h.announced - h.start)}, started -> healthy ${gap((h) => h.healthy - h.start)}, answers -> healthy ${gap((h) => h.healthy - h.answers)}, healthy -> listed ${gap((h) => h.listed - h.healthy)}`,
  );
  for (const r of runs) {
    log(`  HAProxy -> replicas at their ${r.route}: saturation (16 clients, a new connection per request) ${r.saturated.toFixed(0)} requests/s`);
    for (const b of r.bounces)
      log(
        `    deploy at ${b.level * 100}% (${b.rate} req/s asked, ${(b.total / b.seconds).toFixed(0)} sent, ${b.seconds.toFixed(1)} s): failed ${b.withDeploy}/${b.total} ${JSON.stringify(b.reasons)}; same load, no deploy: failed ${b.without} ${JSON.stringify(b.baselineReasons)}`,
      );
  }
  recordFigure({
    bench: 'heal-bounce',
    measure: 'replica killed -> replacement answers (median)',
    value: median(totals),
    unit: 'ms',
    floor: { label: 'one bare container start', value: median(bare) },
    goal: 'ratio <= 1.5',
    met: median(totals) / median(bare) <= 1.5,
  });
  for (const r of runs)
    for (const b of r.bounces)
      recordFigure({
        bench: 'heal-bounce',
        measure: `failed requests, deploy under ${b.level * 100}% of saturation (${b.rate} req/s), HAProxy -> ${r.route}`,
        value: b.withDeploy,
        unit: 'requests',
        floor: { label: 'same load, no deploy', value: b.without },
        goal: b.level === 0.5 ? '0' : '<= no deploy',
        met: b.level === 0.5 ? b.withDeploy === 0 : b.withDeploy <= b.without,
      });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
