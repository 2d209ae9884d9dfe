// bench/deploy-latency: a deploy of the example service (3 replicas, crossover) on one Docker
// host, next to the same work done by hand in the same run, round by round (each round: the
// floor, then a deploy, so both see the same load on a shared machine):
//   (a) serving: `orzo mark-for-deployment` (the CLI, from its spawn) until N consecutive
//       requests through HAProxy all answer the new version, next to starting the same number
//       of containers of the same image by hand, in parallel (`docker run`, a published
//       port), until each answers HTTP;
//   (b) old gone: the same mark until no container of the old version exists any more, next
//       to (a) + the configured drain delay + the time the bare containers take to stop on
//       SIGTERM (their grace: what `docker stop` of all of them in parallel takes).
// Where the time went, from the events' own timestamps: deploy.requested -> instance.started ->
// healthy -> UP in discovery -> old draining -> old stopped -> deploy.completed. (A replica's
// check passed to HAProxy routing to it is bench:routed's, measured at HAProxy itself.)
// Usage: node bench/dist/src/deploy-latency.js [--rounds N]   (needs Docker, HAProxy)
// With --swarm: the same on a 3-node Docker Swarm (deploy-latency-swarm.ts).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import Docker from 'dockerode';
import { connectNats } from '@orzo/bus';
import { Subjects, decodeEvent } from '@orzo/contracts';
import { swarmDeployLatency } from './deploy-latency-swarm';
import { ORZO_CLI, copySoaConfigs, freePort, httpGet, readStream, startPlatform, waitFor } from '@orzo/testing';
import { percentile, recordFigure } from './figures';
import { buildExampleVersions } from './example-versions';

const REPLICAS = 3;
/** Consecutive requests through HAProxy that must all answer the new version. */
const CONSECUTIVE = 2 * REPLICAS;
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: readonly number[]) => percentile(xs, 50);
const spread = (xs: readonly number[], digits = 2) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;

interface ByHand {
  /** All containers created, started and answering HTTP, seconds. */
  serving: number;
  /** All of them stopped on SIGTERM (in parallel), seconds. */
  stop: number;
}

/**
 * The floor: `count` containers of `image` started by hand at once, each with `docker run -d
 * --init -p 127.0.0.1:<port>:8080` (no pull) and polled every 5 ms until it answers /status;
 * then all stopped at once with `docker stop` (SIGTERM, which --init forwards to the server)
 * and removed.
 */
async function byHand(image: string, count: number): Promise<ByHand> {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const names = ports.map((_, i) => `orzo-bench-by-hand-${process.pid}-${i}`);
  const t = performance.now();
  await Promise.all(
    ports.map(async (port, i) => {
      await run('docker', ['run', '-d', '--init', '--name', names[i]!, '-p', `127.0.0.1:${port}:8080`, image]);
      await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/status`, 500).catch(() => undefined))?.status === 200, {
        timeoutMs: 30_000,
        intervalMs: 5,
      });
    }),
  );
  const serving = (performance.now() - t) / 1000;
  const s = performance.now();
  await Promise.all(names.map((name) => run('docker', ['stop', '-t', '30', name])));
  const stop = (performance.now() - s) / 1000;
  await run('docker', ['rm', '-f', ...names]);
  return { serving, stop };
}

/** Runs a command to its end (spawned: this process goes on polling meanwhile); rejects on a non-zero exit. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

interface Round {
  sha: string;
  oldSha: string;
  /** Wall clock (Date.now) when the CLI was spawned. */
  markedAt: number;
  serving: number;
  oldGone: number;
  floor: ByHand;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rounds = Number(argv.includes('--rounds') ? argv[argv.indexOf('--rounds') + 1] : 5);
  const docker = new Docker();
  const versions = await buildExampleVersions(docker, 3);
  const image = (v: string) => `services-hello:orzo-${v}`;
  const label = (v: string) => `v${versions.indexOf(v) + 1}`;

  // The example service under a private name and proxy port (other platforms may share this Docker Engine).
  const soa = await copySoaConfigs();
  // Its drain delay and replica count as configured (examples/soa-configs/hello/kubernetes-local.yaml).
  const instanceYaml = readFileSync(join(soa.dir, soa.service, 'kubernetes-local.yaml'), 'utf8');
  const drainDelay = Number(/^\s+delay: ([\d.]+)$/m.exec(instanceYaml)?.[1] ?? 0);
  const instances = Number(/^\s+instances: (\d+)$/m.exec(instanceYaml)?.[1]);
  if (instances !== REPLICAS) throw new Error(`the example's main instance runs ${instances} replicas, not ${REPLICAS}`);

  // The image's layers in the page cache before anything is timed.
  await byHand(image(versions[0]!), REPLICAS);
  const platform = await startPlatform({ ORZO_SOA_DIR: soa.dir });
  const containersOf = async (v?: string) =>
    (
      await docker.listContainers({
        all: true,
        filters: { label: [`orzo.service=${soa.service}`, 'orzo.cluster=local', ...(v ? [`orzo.git_sha=${v}`] : [])] },
      })
    ).map((c) => c.Id);
  const servesOnly = async (page: string) => {
    for (let i = 0; i < CONSECUTIVE; i++)
      if ((await httpGet(`http://127.0.0.1:${soa.proxyPort}/version`, 1_000).catch(() => undefined))?.body.trim() !== page) return false;
    return true;
  };
  const mark = (v: string) =>
    run(process.execPath, [ORZO_CLI, 'mark-for-deployment', '-s', soa.service, '-l', 'local.main', '--image', image(v)], platform.env);
  const done: Round[] = [];
  const loadBefore = loadavg()[0]!;
  try {
    await mark(versions[0]!);
    await waitFor(() => servesOnly('v1'), { timeoutMs: 60_000, intervalMs: 20 });
    await waitFor(async () => (await containersOf()).length === REPLICAS, { timeoutMs: 60_000, intervalMs: 20 });
    let current = versions[0]!;
    for (let i = 0; i < rounds; i++) {
      const sha = versions[1 + (i % 2)]!;
      const floor = await byHand(image(sha), REPLICAS);
      const markedAt = Date.now();
      const t = performance.now();
      const marked = mark(sha);
      await waitFor(() => servesOnly(label(sha)), { timeoutMs: 120_000, intervalMs: 5 });
      const serving = (performance.now() - t) / 1000;
      await waitFor(async () => (await containersOf(current)).length === 0, { timeoutMs: 120_000, intervalMs: 10 });
      const oldGone = (performance.now() - t) / 1000;
      await marked;
      // The deploy completes (its event) before the next round starts.
      await waitFor(async () => (await containersOf()).length === REPLICAS, { timeoutMs: 60_000, intervalMs: 20 });
      done.push({ sha, oldSha: current, markedAt, serving, oldGone, floor });
      current = sha;
    }
    const loadAfter = loadavg()[0]!;
    const phases = await phasesOf(platform.nats.url, done);
    report(done, phases, drainDelay, [loadBefore, loadAfter]);
  } finally {
    await platform.stop();
    for (const id of await containersOf()) await docker.getContainer(id).remove({ force: true });
  }
}

type Timed = Record<string, unknown> & { at: number };

/** Per round, ms after the CLI was spawned: each step of the deploy from the events' own timestamps. */
async function phasesOf(natsUrl: string, rounds: Round[]): Promise<Array<Record<string, number[]>>> {
  const nc = await connectNats(natsUrl, 'bench');
  const read = async (stream: string, subject: string): Promise<Timed[]> =>
    (await readStream(nc, stream, subject))
      .map((m) => decodeEvent(subject, m.data))
      .flatMap((d) => (d.ok ? [{ ...(d.event.payload as unknown as Record<string, unknown>), at: Date.parse(d.event.envelope.occurredAt) }] : []));
  const [requested, started, healthy, unhealthy, stopped, completed, changed] = await Promise.all([
    read('ORZO_DEPLOY', Subjects.DeployRequested),
    read('ORZO_INSTANCE', Subjects.InstanceStarted),
    read('ORZO_INSTANCE', Subjects.InstanceHealthy),
    read('ORZO_INSTANCE', Subjects.InstanceUnhealthy),
    read('ORZO_INSTANCE', Subjects.InstanceStopped),
    read('ORZO_DEPLOY', Subjects.DeployCompleted),
    read('ORZO_DISCOVERY', Subjects.DiscoveryEndpointsChanged),
  ]);
  await nc.close();
  const shaOf = (e: Timed) => (e.replica as { gitSha: string }).gitSha;
  const idOf = (e: Timed) => (e.replica as { replicaId: string }).replicaId;
  return rounds.map((r, i) => {
    const until = rounds[i + 1]?.markedAt ?? Infinity;
    const within = (xs: Timed[]) => xs.filter((x) => x.at >= r.markedAt && x.at < until);
    const after = (xs: Timed[]) => within(xs).map((x) => x.at - r.markedAt);
    const newStarted = within(started).filter((e) => shaOf(e) === r.sha);
    const ids = new Set(newStarted.map(idOf));
    const allUp = within(changed).find((c) => [...ids].every((id) => (c.endpoints as Array<{ replicaId: string }>).some((e) => e.replicaId === id)));
    return {
      requested: after(requested.filter((e) => (e.specs as Array<{ gitSha: string }>).some((s) => s.gitSha === r.sha))),
      started: after(newStarted),
      healthy: after(healthy.filter((e) => ids.has(idOf(e)))),
      up: allUp ? [allUp.at - r.markedAt] : [],
      draining: after(unhealthy.filter((e) => shaOf(e) === r.oldSha && String(e.checkOutput).startsWith('draining'))),
      stopped: after(stopped.filter((e) => shaOf(e) === r.oldSha)),
      completed: after(completed.filter((e) => e.gitSha === r.sha)),
    };
  });
}

function report(rounds: Round[], phases: Array<Record<string, number[]>>, drainDelay: number, load: number[]): void {
  const serving = rounds.map((r) => r.serving);
  const floor = rounds.map((r) => r.floor.serving);
  const ratios = rounds.map((r) => r.serving / r.floor.serving);
  const gone = rounds.map((r) => r.oldGone);
  const goneFloor = rounds.map((r) => r.serving + drainDelay + r.floor.stop);
  const goneRatios = rounds.map((r, i) => r.oldGone / goneFloor[i]!);
  log(
    `deploy-latency: example service, ${REPLICAS} replicas, crossover, drain delay ${drainDelay} s, ${rounds.length} rounds, node ${process.version}, load average ${load.map((l) => l.toFixed(1)).join(' -> ')}`,
  );
  log(`  round  by hand: serving / stop   orzo: serving / old gone (s)   ratio serving   ratio old gone`);
  rounds.forEach((r, i) =>
    log(
      `  ${i + 1}      ${r.floor.serving.toFixed(2)} / ${r.floor.stop.toFixed(2)}            ${r.serving.toFixed(2)} / ${r.oldGone.toFixed(2)}               ${ratios[i]!.toFixed(2)}            ${goneRatios[i]!.toFixed(2)}`,
    ),
  );
  log(`  (a) mark -> ${CONSECUTIVE} requests in a row answer the new version: median ${median(serving).toFixed(2)} s`);
  log(`      ${REPLICAS} containers by hand, in parallel, until each answers: median ${median(floor).toFixed(2)} s`);
  log(`      ratio median ${median(ratios).toFixed(2)} (spread ${spread(ratios)})   goal <= 1.5`);
  // The platform's own part: from deploy.requested (after the CLI started and control-api recorded the mark).
  const fromRequested = rounds.flatMap((r, i) =>
    phases[i]!.requested!.length ? [(r.serving * 1000 - phases[i]!.requested![0]!) / 1000 / r.floor.serving] : [],
  );
  if (fromRequested.length)
    log(`      from deploy.requested instead of the CLI's spawn: ratio median ${median(fromRequested).toFixed(2)} (spread ${spread(fromRequested)})`);
  log(`  (b) mark -> no old container left: median ${median(gone).toFixed(2)} s`);
  log(`      (a) + drain delay ${drainDelay} s + SIGTERM stop by hand: median ${median(goneFloor).toFixed(2)} s`);
  log(`      ratio median ${median(goneRatios).toFixed(2)} (spread ${spread(goneRatios)})`);
  log(`  where the time went, ms after the CLI was spawned (per round, min-max over replicas):`);
  const names = ['requested', 'started', 'healthy', 'up', 'draining', 'stopped', 'completed'];
  log(`    ${names.join(' -> ')}`);
  for (const p of phases) log(`    ${names.map((n) => (p[n]!.length ? (p[n]!.length > 1 ? spread(p[n]!, 0) : p[n]![0]!.toFixed(0)) : '?')).join(' -> ')}`);
  recordFigure({
    bench: 'deploy',
    measure: `mark -> ${REPLICAS} new replicas serving every request through HAProxy (median of ${rounds.length})`,
    value: median(serving),
    unit: 's',
    floor: { label: `${REPLICAS} containers by hand, in parallel, until each answers`, value: median(floor) },
    goal: 'ratio <= 1.5',
    met: median(ratios) <= 1.5,
  });
  recordFigure({
    bench: 'deploy',
    measure: `mark -> old replicas gone (median of ${rounds.length})`,
    value: median(gone),
    unit: 's',
    floor: { label: `serving + drain delay ${drainDelay} s + SIGTERM stop`, value: median(goneFloor) },
    goal: 'ratio <= 1',
    met: median(goneRatios) <= 1,
  });
}

(process.argv.includes('--swarm') ? swarmDeployLatency() : main()).catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
