// bench/heal-bounce: two figures of issue #16 on the example service (3 replicas, single host).
// - heal: a replica killed with SIGKILL, until its replacement answers HTTP, next to one bare
//   container of the same image started until it answers (the floor), in the same run;
// - bounce under load: failed requests through HAProxy during a crossover deploy at 50% and at
//   90% of the example's saturation throughput (measured first, same client, same run), next
//   to the same load for the same time with no deploy.
// Usage: npm run bench:heal-bounce   (needs Docker, HAProxy; port 20001 free)
import { get } from 'node:http';
import Docker from 'dockerode';
import { LoadLoop, httpGet, loadTestcontainers, startHttpContainer, startPlatform, waitFor } from '@orzo/testing';
import { percentile, recordFigure } from './figures';
import { buildExampleVersions } from './example-versions';

const log = (line: string) => process.stdout.write(`${line}\n`);
const PROXY = 'http://127.0.0.1:20001';
const median = (xs: number[]) => percentile(xs, 50);

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

async function main(): Promise<void> {
  const docker = new Docker();
  const versions = await buildExampleVersions(docker, 3);

  await loadTestcontainers();
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const c = await startHttpContainer(`services-hello:orzo-${versions[0]}`, { port: 8080, path: '/status' });
    bare.push(performance.now() - t);
    await c.stop();
  }

  const platform = await startPlatform();
  const running = async (v?: string) =>
    (
      await docker.listContainers({
        filters: { label: ['orzo.service=hello', 'orzo.cluster=local', ...(v ? [`orzo.git_sha=${v}`] : [])], status: ['running'] },
      })
    ).map((c) => ({ id: c.Id, port: c.Ports.find((p) => p.PrivatePort === 8080)?.PublicPort }));
  const mark = (v: string) => {
    const r = platform.cli(['mark-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', v]);
    if (r.status !== 0) throw new Error(`mark-for-deployment ${v} failed: ${r.stderr}`);
  };
  const servesOnly = async (label: string) => {
    for (let i = 0; i < 6; i++) if ((await httpGet(`${PROXY}/version`).catch(() => undefined))?.body.trim() !== label) return false;
    return true;
  };
  try {
    mark(versions[0]!);
    await waitFor(async () => (await running(versions[0])).length === 3 && (await servesOnly('v1')), { timeoutMs: 90_000, intervalMs: 50 });

    // Heal: kill one replica, time until a new one answers on its own port.
    const heals: number[] = [];
    for (let round = 0; round < 5; round++) {
      const before = await running(versions[0]);
      const victim = before[round % before.length]!;
      const t = performance.now();
      await docker.getContainer(victim.id).kill({ signal: 'SIGKILL' });
      await waitFor(
        async () => {
          const now = await running(versions[0]);
          const fresh = now.find((c) => !before.some((b) => b.id === c.id));
          if (!fresh?.port) return false;
          return (await httpGet(`http://127.0.0.1:${fresh.port}/status`, 500).catch(() => undefined))?.status === 200;
        },
        { timeoutMs: 60_000, intervalMs: 5 },
      );
      heals.push(performance.now() - t);
      // Let the platform settle (discovery, health) before the next kill.
      await waitFor(async () => (await running(versions[0])).length === 3 && (await servesOnly('v1')), { timeoutMs: 60_000, intervalMs: 50 });
    }

    // Bounce under load.
    const saturated = await saturation(`${PROXY}/status`, 16, 5);
    const bounces: Array<{
      level: number;
      rate: number;
      seconds: number;
      withDeploy: number;
      without: number;
      total: number;
      reasons: Record<string, number>;
    }> = [];
    for (const [i, level] of [0.5, 0.9].entries()) {
      const rate = Math.max(1, Math.floor(saturated * level));
      const next = versions[i + 1]!;
      const deployLoad = new LoadLoop(`${PROXY}/status`, rate, 2000).start();
      const t = performance.now();
      mark(next);
      await waitFor(async () => (await running(next)).length === 3 && (await running()).length === 3 && (await servesOnly(`v${i + 2}`)), {
        timeoutMs: 180_000,
        intervalMs: 20,
      });
      await new Promise((r) => setTimeout(r, 1000));
      const seconds = (performance.now() - t) / 1000;
      const during = await deployLoad.stop();
      const quiet = new LoadLoop(`${PROXY}/status`, rate, 2000).start(seconds);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const baseline = await quiet.stop();
      bounces.push({ level, rate, seconds, withDeploy: during.failed, without: baseline.failed, total: during.total, reasons: during.reasons });
    }

    log(`heal-bounce: example service, 3 replicas, single Docker host, node ${process.version}`);
    log(`  bare container start until it answers HTTP (median of ${bare.length})   ${median(bare).toFixed(0)} ms`);
    log(
      `  replica killed -> replacement answers (median of ${heals.length})   ${median(heals).toFixed(0)} ms   [${heals.map((h) => h.toFixed(0)).join(', ')}]`,
    );
    log(`  ratio heal / bare start: ${(median(heals) / median(bare)).toFixed(2)}   goal <= 1.5`);
    log(`  saturation through HAProxy (16 clients, a new connection per request)   ${saturated.toFixed(0)} requests/s`);
    for (const b of bounces)
      log(
        `  deploy at ${b.level * 100}% (${b.rate} req/s, ${b.seconds.toFixed(1)} s): failed ${b.withDeploy}/${b.total} ${JSON.stringify(b.reasons)}; same load, no deploy: failed ${b.without}`,
      );
    recordFigure({
      bench: 'heal-bounce',
      measure: 'replica killed -> replacement answers (median)',
      value: median(heals),
      unit: 'ms',
      floor: { label: 'one bare container start', value: median(bare) },
      goal: 'ratio <= 1.5',
      met: median(heals) / median(bare) <= 1.5,
    });
    for (const b of bounces)
      recordFigure({
        bench: 'heal-bounce',
        measure: `failed requests, deploy under ${b.level * 100}% of saturation (${b.rate} req/s)`,
        value: b.withDeploy,
        unit: 'requests',
        floor: { label: 'same load, no deploy', value: b.without },
        goal: b.level === 0.5 ? '0' : '<= no deploy',
        met: b.level === 0.5 ? b.withDeploy === 0 : b.withDeploy <= b.without,
      });
  } finally {
    await platform.stop();
    const left = await docker.listContainers({ all: true, filters: { label: ['orzo.service=hello', 'orzo.cluster=local'] } });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
