// bench/alert-latency: from the fault (a replica's health endpoint starts failing) to the
// replication alert visible in a real Prometheus Alertmanager (GET /api/v2/alerts), minus the
// configured alert_after: what the alerting path itself adds. Median and p99 over several
// runs, printed next to the check interval (check_every, the floor: the condition is only
// seen at the next check) and the health check interval.
// Runs real NATS, a real Alertmanager and monitor-bridge (its built main.js, as a process);
// the replica is an HTTP server in this process whose /status turns 500 at the fault.
// Usage: npm run bench:alert-latency   [RUNS=9]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats } from '@orzo/bus';
import { InstanceSpec, MonitoringSpec, Subjects } from '@orzo/contracts';
import { EventPublisher } from '@orzo/bus';
import { jetstream } from '@nats-io/jetstream';
import { REPO_ROOT, freePort, startAlertmanager, startNatsServer, waitFor } from '@orzo/testing';
import { recordFigure } from './figures';

const log = (line: string) => process.stdout.write(`${line}\n`);
const RUNS = Number(process.env.RUNS ?? 9);
const ALERT_AFTER_S = 2;
const CHECK_EVERY_S = 1;
const HEALTH_INTERVAL_S = 0.5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const [nats, am] = await Promise.all([startNatsServer(), startAlertmanager()]);
  const main = join(REPO_ROOT, 'services', 'monitor-bridge', 'dist', 'src', 'main.js');
  const env = {
    PATH: process.env.PATH,
    ORZO_NATS_URL: nats.url,
    ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-bench-alert-')),
    ORZO_HTTP_PORT: String(await freePort()),
    ORZO_LOG_LEVEL: 'warn',
    ORZO_ALERTMANAGER_URL: am.url,
  };
  if (spawnSync(process.execPath, [main, 'migrate'], { env }).status !== 0) throw new Error('monitor-bridge migrate failed');
  const bridge = spawn(process.execPath, [main], { env, stdio: 'ignore' });
  const servers: Server[] = [];
  const nc = await connectNats(nats.url, 'bench-alert-latency');
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${env.ORZO_HTTP_PORT}/healthz`).catch(() => undefined))?.ok, { timeoutMs: 30_000 });
    const publisher = new EventPublisher(jetstream(nc), { source: 'bench' });
    const latencies: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const service = `lat${i}`;
      let status = 200;
      const server = createServer((req, res) => ((res.statusCode = req.url === '/status' ? status : 404), res.end()));
      servers.push(server);
      const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
      const spec = InstanceSpec.fromPartial({
        service,
        instance: 'main',
        cluster: 'local',
        replicas: 1,
        desiredState: 'start',
        healthcheck: {
          mode: 'http',
          uri: '/status',
          cmd: '',
          gracePeriodSeconds: 0,
          intervalSeconds: HEALTH_INTERVAL_S,
          timeoutSeconds: 1,
          maxConsecutiveFailures: 1,
        },
        monitoring: MonitoringSpec.fromPartial({
          team: 'bench',
          replicationThreshold: 50,
          checkEverySeconds: CHECK_EVERY_S,
          alertAfterSeconds: ALERT_AFTER_S,
          realertEvery: 0,
          checkOomEvents: true,
          set: true,
        }),
      });
      await publisher.publish(Subjects.DeployRequested, {
        deployId: `bench-${service}`,
        service,
        deployGroup: 'local.main',
        specs: [spec],
        requestedBy: 'bench',
        reason: 'bench',
      });
      const replica = {
        service,
        instance: 'main',
        cluster: 'local',
        replicaId: `${service}-r1`,
        host: '127.0.0.1',
        port,
        gitSha: 'abc',
        configHash: 'c',
        forceBounce: '',
      };
      await publisher.publish(Subjects.InstanceStarted, { replica, image: 'bench', registrations: [] });
      // Healthy for a few check rounds first: the fault must start from an OK state.
      await new Promise((r) => setTimeout(r, 3 * CHECK_EVERY_S * 1000));
      const alertname = `check_paasta_services_replication.${service}.main`;
      const t0 = performance.now();
      status = 500;
      await waitFor(async () => (await am.alerts()).some((a) => a.labels.alertname === alertname), { timeoutMs: 60_000, intervalMs: 20 });
      const ms = performance.now() - t0 - ALERT_AFTER_S * 1000;
      latencies.push(ms);
      log(`run ${i + 1}: alert in Alertmanager ${(ms / 1000 + ALERT_AFTER_S).toFixed(2)} s after the fault; ${(ms / 1000).toFixed(2)} s beyond alert_after`);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    log('');
    log(`fault -> alert in Alertmanager, minus alert_after (${ALERT_AFTER_S} s), over ${RUNS} runs:`);
    log(`  median ${(percentile(sorted, 50) / 1000).toFixed(2)} s   p99 ${(percentile(sorted, 99) / 1000).toFixed(2)} s`);
    log(`  floor: check_every ${CHECK_EVERY_S} s (the condition is seen at the next instance check), health check interval ${HEALTH_INTERVAL_S} s`);
    recordFigure({
      bench: 'alert-latency',
      measure: `fault -> alert in Alertmanager minus alert_after, p99 of ${RUNS}`,
      value: percentile(sorted, 99) / 1000,
      unit: 's',
      floor: { label: 'check_every', value: CHECK_EVERY_S },
      goal: '<= 1.5 check intervals',
      met: percentile(sorted, 99) / 1000 <= 1.5 * CHECK_EVERY_S,
    });
  } finally {
    await nc.close();
    bridge.kill('SIGKILL');
    for (const s of servers) s.close();
    await am.dispose();
    await nats.dispose();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
