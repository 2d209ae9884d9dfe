// bench/reconcile-scale: one steady-state reconcile pass over 10,000 instances with no drift,
// as the timer runs it, with the number of engine calls it made. The engine is a recorded one
// (recorded-docker.ts): the listing entry and inspect dockerd gave for one real replica of the
// example, copied for every replica, served over HTTP as the cluster's docker_host. So this is
// the reconciler's own cost (its database read, the Engine API client, JSON, grouping, the
// decisions), not dockerd's time to list 10,000 containers. scheduler-bridge runs unmodified
// (`orzo up --only scheduler-bridge`, a real NATS, its SQLite database); its desired state is
// written in its database before it starts (every deploy completed, as after a restart on a
// quiet day): its first pass adopts every replica; the figures are the bridge's own, from /metrics
// (orzo_scheduler_reconcile_all_*). The floor: one listing of the same containers through the
// same client, alone.
// Usage: npm run bench:reconcile [-- --instances 10000] [-- --replicas 1] [-- --passes 7]
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { InstanceSpec } from '@orzo/contracts';
import { Database } from '@orzo/persistence';
import { ORZO_CLI, REPO_ROOT, buildImage, ensureBusyboxBase, httpGet, httpPortVar, platformEnv, startNatsServer, waitFor } from '@orzo/testing';
import { percentile, recordFigure } from './figures';
import { RecordedContainer, RecordedDocker, fleetOf } from './recorded-docker';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const INSTANCES = arg('instances', 10_000);
const REPLICAS = arg('replicas', 1);
const PASSES = arg('passes', 7);
const SHA = 'abcabcabcabcabcabcabcabcabcabcabcabcabca';
const CONFIG_HASH = 'confreconcile0';
const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The listing entry and inspect of one real replica of the example, as scheduler-bridge starts
 * one (Orzo's labels, a 127.0.0.1 host port, an init), started and removed here.
 */
async function record(docker: Docker, cluster: string): Promise<RecordedContainer> {
  const image = 'orzo-bench/hello:reconcile';
  await ensureBusyboxBase(docker);
  await buildImage(docker, { context: join(REPO_ROOT, 'examples', 'services', 'hello'), tag: image, buildargs: { VERSION: 'reconcile' } });
  const labels = {
    'orzo.managed': 'true',
    'orzo.service': 'hello',
    'orzo.instance': 'main',
    'orzo.cluster': cluster,
    'orzo.git_sha': SHA,
    'orzo.config_hash': CONFIG_HASH,
  };
  const container = await docker.createContainer({
    name: `orzo-bench-reconcile-${process.pid}`,
    Image: image,
    Env: ['ORZO_PORT=8080'],
    Labels: labels,
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { NanoCpus: 1e8, Memory: 32 * 1024 * 1024, PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Init: true },
  });
  try {
    await container.start();
    const [listed] = await docker.listContainers({ all: true, filters: { label: [`orzo.cluster=${cluster}`] } });
    return { listed: listed!, inspected: await container.inspect() };
  } finally {
    await container.remove({ force: true });
  }
}

/** The example's spec for one instance of the fleet: an http check on /status, no registrations. */
function specOf(cluster: string, service: string, image: string): InstanceSpec {
  return InstanceSpec.fromJSON({
    service,
    instance: 'main',
    cluster,
    deployGroup: `${cluster}.main`,
    image,
    gitSha: SHA,
    configHash: CONFIG_HASH,
    replicas: REPLICAS,
    cpus: 0.1,
    memMb: 32,
    env: { ORZO_PORT: '8080' },
    containerPort: 8080,
    healthcheck: { mode: 'http', uri: '/status', intervalSeconds: 10, timeoutSeconds: 1, maxConsecutiveFailures: 3 },
    bounce: { method: 'crossover', marginFactor: 1, overprovisionFactor: 1, drainMethod: 'noop', terminationGracePeriodSeconds: 1 },
    desiredState: 'start',
    pool: 'default',
    backoffSeconds: 1,
  });
}

/** The bridge's reconcile metrics (orzo_scheduler_reconcile_all_*) by name and label. */
async function metrics(port: number): Promise<Map<string, number>> {
  const { body } = await httpGet(`http://127.0.0.1:${port}/metrics`);
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    const m = /^(orzo_scheduler_reconcile_all_\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!.replace(/,?service="[^"]*"/, '').replace('{}', ''), Number(m[2]));
  }
  return out;
}

async function main(): Promise<void> {
  const cluster = `bench-reconcile-${process.pid}`;
  const docker = new Docker();
  const recorded = await record(docker, cluster);
  const engineApi = new RecordedDocker();
  const port = await engineApi.listen();
  const specs = Array.from({ length: INSTANCES }, (_, i) => specOf(cluster, `svc${String(i).padStart(5, '0')}`, recorded.inspected.Config.Image));
  engineApi.load(
    fleetOf(
      recorded,
      specs.flatMap((s) => Array.from({ length: REPLICAS }, () => s)),
      port,
    ),
  );

  const nats = await startNatsServer();
  const env = await platformEnv(nats.url, {
    ORZO_LOG_LEVEL: 'warn',
    ORZO_SCHEDULER_CLUSTERS: cluster,
    // Passes every 3 s: longer than one pass, so the calls between two ends are one pass's.
    ORZO_RECONCILE_INTERVAL_MS: '3000',
  });
  const orzoYaml = join(env.ORZO_DATA_DIR!, 'orzo.yaml');
  writeFileSync(orzoYaml, `clusters:\n  ${cluster}:\n    engine: docker\n    docker_host: tcp://127.0.0.1:${port}\n`);
  env.ORZO_CONFIG = orzoYaml;
  const httpPort = Number(env[httpPortVar('scheduler-bridge')]);
  let output = '';
  // The bridge's database, migrated, with every instance's desired spec and its deploy completed.
  const bridgeMain = join(REPO_ROOT, 'services', 'scheduler-bridge', 'dist', 'src', 'main.js');
  const migrated = spawnSync(process.execPath, [bridgeMain, 'migrate'], { env: { ...env, ORZO_HTTP_PORT: String(httpPort) }, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`scheduler-bridge migrate failed: ${migrated.stderr}`);
  const db = await Database.open({ url: `sqlite://${join(env.ORZO_DATA_DIR!, 'scheduler-bridge.db')}`, schema: 'orzo_scheduler_bridge' });
  const at = new Date().toISOString();
  await db
    .em()
    .getKnex()
    .batchInsert(
      'sched_desired_instance',
      specs.map((s) => ({
        instance_key: `${s.service}/${s.cluster}/${s.instance}`,
        deploy_id: `deploy-${s.service}`,
        spec: JSON.stringify(InstanceSpec.toJSON(s)),
        completed_deploy_id: `deploy-${s.service}`,
        updated_at: at,
      })),
      200,
    );
  await db.close();
  const t0 = performance.now();
  const up: ChildProcess = spawn(process.execPath, [ORZO_CLI, 'up', '--only', 'scheduler-bridge'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  up.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  up.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  try {
    await waitFor(
      () =>
        metrics(httpPort).then(
          (m) => m.size > 0,
          () => false,
        ),
      { timeoutMs: 90_000, what: `scheduler-bridge's /metrics\n${output.slice(-3000)}` },
    );
    // Settled: a pass that found every instance settled.
    await waitFor(async () => (await metrics(httpPort)).get('orzo_scheduler_reconcile_all_last_instances{outcome="settled"}') === INSTANCES, {
      timeoutMs: 30 * 60_000,
      intervalMs: 500,
      what: `every instance settled\n${output.slice(-3000)}`,
    });
    const settledS = (performance.now() - t0) / 1000;

    // The next passes, each seen at its end on /metrics, with the engine calls since the previous end.
    const passes: Array<{ ms: number; cpuMs: number; listings: number; full: number; list: number; otherList: number; inspect: number; probe: number }> = [];
    let seen = (await metrics(httpPort)).get('orzo_scheduler_reconcile_all_total') ?? 0;
    engineApi.resetCalls();
    while (passes.length < PASSES) {
      await new Promise((r) => setTimeout(r, 50));
      const m = await metrics(httpPort);
      const total = m.get('orzo_scheduler_reconcile_all_total') ?? 0;
      if (total === seen) continue;
      if (total > seen + 1) throw new Error('two passes ended between two looks; raise ORZO_RECONCILE_INTERVAL_MS');
      seen = total;
      const { list, otherList, inspect, probe } = engineApi.calls;
      engineApi.resetCalls();
      passes.push({
        ms: m.get('orzo_scheduler_reconcile_all_last_seconds')! * 1000,
        cpuMs: m.get('orzo_scheduler_reconcile_all_last_cpu_seconds')! * 1000,
        listings: m.get('orzo_scheduler_reconcile_all_last_listings')!,
        full: m.get('orzo_scheduler_reconcile_all_last_instances{outcome="full"}')!,
        list,
        otherList,
        inspect,
        probe,
      });
    }

    // The floor: the same listing through the same client, alone.
    const client = new Docker({ host: '127.0.0.1', port, protocol: 'http' });
    const floor: number[] = [];
    for (let i = 0; i < PASSES; i++) {
      const t = performance.now();
      await client.listContainers({ all: true, filters: { label: ['orzo.managed=true', `orzo.cluster=${cluster}`] } });
      floor.push(performance.now() - t);
    }

    const ms = passes.map((p) => p.ms);
    const med = percentile(ms, 50);
    // Totals over the passes: a call made just before the previous pass's end was seen counts in the window before.
    const total = (k: 'list' | 'otherList' | 'inspect' | 'probe' | 'full') => passes.reduce((n, p) => n + p[k], 0);
    log(
      `reconcile-scale: ${INSTANCES} instances x ${REPLICAS} replica(s), no drift, against a recorded engine listing served over HTTP (the reconciler's own cost, not dockerd's), node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    log(`  start to a pass finding every instance settled (the first passes adopt and check every replica): ${settledS.toFixed(1)} s`);
    log(
      `  steady pass over every instance, ${PASSES} runs: median ${med.toFixed(0)} ms wall (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}), CPU median ${percentile(
        passes.map((p) => p.cpuMs),
        50,
      ).toFixed(0)} ms`,
    );
    log(
      `  engine calls over the ${PASSES} passes: ${total('list')} listings of replicas, ${total('inspect')} inspects (and ${total('otherList')} listings of job containers, the job scheduler's); ${total('probe')} health checks; instances given a full pass: ${total('full')}`,
    );
    log(`  floor: one listing of the same ${INSTANCES * REPLICAS} containers through the same client, alone: median ${percentile(floor, 50).toFixed(0)} ms`);
    if (engineApi.calls.other.length) log(`  engine calls not recorded (answered 404): ${[...new Set(engineApi.calls.other)].join(', ')}`);
    recordFigure({
      bench: 'reconcile',
      measure: `steady pass over ${INSTANCES} instances x ${REPLICAS}, recorded listing (median of ${PASSES})`,
      value: med,
      unit: 'ms',
      floor: { label: 'the listing alone', value: percentile(floor, 50) },
      goal: '< 1000 ms',
      met: med < 1000,
    });
    recordFigure({
      bench: 'reconcile',
      measure: 'engine listings per steady pass (one cluster)',
      value: total('list') / PASSES,
      unit: 'calls',
      goal: 'O(1)',
      met: total('list') <= PASSES && total('inspect') === 0,
    });
  } finally {
    up.kill('SIGINT');
    await new Promise((r) => up.once('exit', r));
    await engineApi.close();
    await nats.dispose();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
