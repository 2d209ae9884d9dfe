// bench/status-latency: `orzo status` of an instance with 100 real replicas of the example
// (busybox httpd) on this Docker host, the whole platform up (the six services): the wall time and
// CPU of the command as a user types it (node cli/bin/orzo.js, its bundle), next to
// `node -e 0` in the same run, runs interleaved so both see the same load; and GetStatus as
// control-api answers it (sequential gRPC calls on one connection, p50/p99), next to WhoAmI.
// Usage: npm run bench:status [-- --replicas 100] [-- --runs 20]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import Docker from 'dockerode';
import { credentials } from '@grpc/grpc-js';
import { api, bearer } from '@orzo/contracts';
import { ORZO_CLI, REPO_ROOT, buildImage, copySoaConfigs, ensureBusyboxBase, startPlatformServices, waitFor } from '@orzo/testing';
import { percentile, recordFigure } from './figures';
import { call, timed } from './grpc-timing';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const REPLICAS = arg('replicas', 100);
const RUNS = arg('runs', 20);
const CALLS = 300;
const log = (line: string) => process.stdout.write(`${line}\n`);
const CPU_AT_EXIT = join(__dirname, 'cpu-at-exit.js');

/** One run of `node <args>`: wall ms, and the CPU ms it reported at its exit. */
function run(args: string[], env: NodeJS.ProcessEnv): { wallMs: number; cpuMs: number } {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['-r', CPU_AT_EXIT, ...args], { env, encoding: 'utf8' });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const cpu = /ORZO_BENCH_CPU_US (\d+)/.exec(r.stderr);
  return { wallMs, cpuMs: cpu ? Number(cpu[1]) / 1000 : NaN };
}

async function main(): Promise<void> {
  const docker = new Docker();
  const image = `orzo-bench-status/hello:${process.pid}`;
  await ensureBusyboxBase(docker);
  await buildImage(docker, { context: join(REPO_ROOT, 'examples', 'services', 'hello'), tag: image, buildargs: { VERSION: 'status' } });
  const soa = await copySoaConfigs();
  // Checked every 10 s: 100 replicas checked each second would be load of their own on a small machine.
  writeFileSync(
    join(soa.dir, soa.service, 'kubernetes-local.yaml'),
    `main:\n  cpus: 0.1\n  mem: 32\n  container_port: 8080\n  instances: ${REPLICAS}\n  registrations: ['${soa.service}.main']\n  deploy_group: local.main\n  healthcheck_grace_period_seconds: 5\n  healthcheck_interval_seconds: 10\n`,
  );
  // Each service a process of its own, each given its own time to start (a loaded machine).
  // Free ports are picked before the migrations: on a busy machine one may be taken meanwhile.
  const platform = await startPlatformServices({ env: { ORZO_SOA_DIR: soa.dir } }).catch((err: Error) => {
    if (!/EADDRINUSE/.test(err.message)) throw err;
    log('  a port was taken while the platform started; starting it again');
    return startPlatformServices({ env: { ORZO_SOA_DIR: soa.dir } });
  });
  try {
    const mark = platform.cli(['mark-for-deployment', '-s', soa.service, '-l', 'local.main', '--image', image], 60_000);
    if (mark.status !== 0) throw new Error(`mark-for-deployment failed: ${mark.stderr}`);
    const t0 = performance.now();
    await waitFor(
      () => {
        const r = platform.cli(['status', '-s', soa.service, '--json']);
        const i = r.status === 0 ? (JSON.parse(r.stdout) as { instances: Array<{ healthyReplicas?: number; state?: string }> }).instances[0] : undefined;
        return i?.healthyReplicas === REPLICAS && i.state === 'Running';
      },
      { timeoutMs: 15 * 60_000, intervalMs: 2_000, what: `${REPLICAS} healthy replicas` },
    );
    const upS = (performance.now() - t0) / 1000;

    // The command as typed, and node alone, interleaved.
    const args = [ORZO_CLI, 'status', '-s', soa.service];
    const status: Array<{ wallMs: number; cpuMs: number }> = [];
    const bare: Array<{ wallMs: number; cpuMs: number }> = [];
    // The whole CLI's bundle (what every verb loaded before status had its own), for comparison.
    const whole = [
      '-e',
      `require(${JSON.stringify(join(REPO_ROOT, 'cli', 'dist', 'src', 'orzo.bundle.js'))}).main(['status', '-s', ${JSON.stringify(soa.service)}]).then((c) => (process.exitCode = c))`,
    ];
    const wholeRuns: Array<{ wallMs: number; cpuMs: number }> = [];
    const lines = platform.cli(['status', '-s', soa.service]).stdout.split('\n').length;
    for (let i = 0; i < RUNS; i++) {
      bare.push(run(['-e', '0'], platform.env));
      status.push(run(args, platform.env));
      wholeRuns.push(run(whole, platform.env));
    }

    // GetStatus as control-api answers it, on one connection.
    const token = readFileSync(join(platform.env.ORZO_DATA_DIR!, 'admin-token'), 'utf8').trim();
    const client = new api.ControlApiClient(platform.env.ORZO_CONTROL_API!, credentials.createInsecure(), { interceptors: [bearer(token)] });
    const empty = await timed(() => call(client, 'whoAmI', {}), CALLS);
    const getStatus = await timed(() => call(client, 'getStatus', { service: soa.service, cluster: '', instance: '' }), CALLS);
    client.close();

    const med = (xs: Array<{ wallMs: number; cpuMs: number }>, k: 'wallMs' | 'cpuMs') =>
      percentile(
        xs.map((x) => x[k]),
        50,
      );
    const range = (xs: Array<{ wallMs: number }>) => `${Math.min(...xs.map((x) => x.wallMs)).toFixed(0)}-${Math.max(...xs.map((x) => x.wallMs)).toFixed(0)}`;
    log(
      `status-latency: one instance of ${REPLICAS} real replicas (up and healthy ${upS.toFixed(0)} s after the mark), the platform on this machine, node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    log(
      `  node -e 0                           wall median ${med(bare, 'wallMs').toFixed(0)} ms (${range(bare)}), CPU median ${med(bare, 'cpuMs').toFixed(0)} ms`,
    );
    log(
      `  orzo status -s <service> (${lines} lines)  wall median ${med(status, 'wallMs').toFixed(0)} ms (${range(status)}), CPU median ${med(status, 'cpuMs').toFixed(0)} ms   goal < 200 ms wall`,
    );
    log(
      `  the same through the whole CLI bundle  wall median ${med(wholeRuns, 'wallMs').toFixed(0)} ms (${range(wholeRuns)}), CPU median ${med(wholeRuns, 'cpuMs').toFixed(0)} ms`,
    );
    log(
      `  GetStatus (${CALLS} calls, one connection)  p50 ${percentile(getStatus, 50).toFixed(1)} ms, p99 ${percentile(getStatus, 99).toFixed(1)} ms; WhoAmI p50 ${percentile(empty, 50).toFixed(1)} ms, p99 ${percentile(empty, 99).toFixed(1)} ms`,
    );
    const wall = med(status, 'wallMs');
    const p99 = percentile(getStatus, 99);
    for (const figure of [
      {
        measure: `orzo status, ${REPLICAS} real replicas, wall (median of ${RUNS})`,
        value: wall,
        floor: { label: 'node -e 0', value: med(bare, 'wallMs') },
        goal: '< 200 ms',
        met: wall < 200,
      },
      {
        measure: `GetStatus p99, ${REPLICAS} real replicas`,
        value: p99,
        floor: { label: 'WhoAmI p99', value: percentile(empty, 99) },
        goal: 'p99 < 50 ms',
        met: p99 < 50,
      },
    ])
      recordFigure({ bench: 'status', unit: 'ms', ...figure });
  } finally {
    await platform.stop();
    // What the platform left of the instance (its stop drains; a killed bridge would not).
    for (const c of await docker.listContainers({ all: true, filters: { label: [`orzo.service=${soa.service}`] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
