import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { InstanceSpec, MonitoringSpec, ReplicaRef, Rpcs, Subjects } from '@orzo/contracts';
import { createLogger, createServiceApp, prepareService } from '@orzo/platform';
import { AlertmanagerHandle, NatsServerHandle, sleep, startAlertmanager, startNatsServer, waitFor } from '@orzo/testing';
import { monitorBridge } from '../src/definition';
import { Recorder, startSensuRecorder, startWebhookRecorder } from './alert-recorders';

const SECRET = 'webhook-secret';
const SENSU_KEY = 'sensu-api-key';
const ALERT_AFTER_S = 4;
const REPLICATION = 'check_paasta_services_replication.web.main';

interface Replica {
  server: Server;
  port: number;
  status: number;
}

/**
 * monitor-bridge on a private nats-server with a real Alertmanager, a webhook receiver that
 * checks signatures and a Sensu recorder (no Sensu backend can run here; it validates each
 * request against Sensu Go's documented event shape). Replicas are real HTTP(S) servers; the
 * instance lifecycle events are published by the test, as scheduler-bridge would.
 */
describe('monitor-bridge alerts: replication, OOM, crash loop, routed to Alertmanager, Sensu and a webhook', () => {
  let nats: NatsServerHandle;
  let am: AlertmanagerHandle;
  let hook: Recorder;
  let sensu: Recorder;
  let app: INestApplication;
  let bus: BusService;
  let metricsUrl: string;
  let logs = '';
  const replicas: Replica[] = [];
  const certDir = mkdtempSync(join(tmpdir(), 'orzo-cert-'));

  const serve = (status = 200): Promise<Replica> =>
    new Promise((resolve) => {
      const r = { status } as Replica;
      r.server = createServer((req, res) => ((res.statusCode = req.url === '/status' ? r.status : 404), res.end('web')));
      r.server.listen(0, '127.0.0.1', () => ((r.port = (r.server.address() as { port: number }).port), replicas.push(r), resolve(r)));
    });
  const ref = (service: string, instance: string, id: string, port = 0): ReplicaRef => ({
    service,
    instance,
    cluster: 'local',
    replicaId: id,
    host: '127.0.0.1',
    port,
    gitSha: 'abc',
    configHash: 'c',
  });
  const monitoring = (m: Partial<MonitoringSpec>): MonitoringSpec =>
    MonitoringSpec.fromPartial({
      runbook: 'http://y/rb',
      replicationThreshold: 50,
      checkEverySeconds: 0.5,
      alertAfterSeconds: 0,
      realertEvery: 0,
      checkOomEvents: true,
      set: true,
      ...m,
    });
  const spec = (service: string, instance: string, replicaCount: number, m: MonitoringSpec, mode = 'http'): InstanceSpec =>
    InstanceSpec.fromPartial({
      service,
      instance,
      cluster: 'local',
      replicas: replicaCount,
      desiredState: 'start',
      memMb: 32,
      healthcheck: { mode, uri: '/status', cmd: '', gracePeriodSeconds: 0, intervalSeconds: 0.2, timeoutSeconds: 1, maxConsecutiveFailures: 1 },
      monitoring: m,
    });
  const deploy = (s: InstanceSpec) =>
    bus.publish(Subjects.DeployRequested, {
      deployId: `d-${s.service}`,
      service: s.service,
      deployGroup: 'local.main',
      specs: [s],
      requestedBy: 't',
      reason: 't',
    });
  const amAlert = async (alertname: string) => (await am.alerts()).find((a) => a.labels.alertname === alertname);
  const hooked = (alertId: string, kind?: string) =>
    hook.requests.filter((r) => {
      const b = r.body as { kind: string; alert: { alertId: string } };
      return b.alert.alertId === alertId && (!kind || b.kind === kind);
    });
  const subjectCount = async (subject: string) => {
    const jsm = await jetstreamManager(bus.connection);
    const stream = subject.startsWith('orzo.alert') ? 'ORZO_ALERT' : 'ORZO_INSTANCE';
    const info = await jsm.streams.info(stream, { subjects_filter: subject });
    return ((info.state.subjects ?? {}) as Record<string, number>)[subject] ?? 0;
  };

  let env: Record<string, string>;
  /** monitor-bridge in this process, on the test's NATS and data dir (migrated the first time). */
  const startBridge = async (migrate: boolean) => {
    const ctx = prepareService(monitorBridge, env);
    assert.ok(ctx);
    ctx.logger = createLogger('monitor-bridge', 'info', new Writable({ write: (chunk: Buffer, _e, cb) => ((logs += chunk.toString()), cb()) }));
    if (migrate) await monitorBridge.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, monitorBridge.module(ctx));
    await app.listen(0, '127.0.0.1');
    metricsUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/metrics`;
    bus = app.get(BusService);
  };

  before(async () => {
    [nats, am, hook, sensu] = await Promise.all([startNatsServer(), startAlertmanager(), startWebhookRecorder(SECRET), startSensuRecorder(SENSU_KEY, 'orzo')]);
    env = {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-mon-')),
      ORZO_HTTP_PORT: '0',
      ORZO_ALERTMANAGER_URL: am.url,
      ORZO_ALERTMANAGER_RESEND_S: '2',
      ORZO_SENSU_URL: sensu.url,
      ORZO_SENSU_API_KEY: SENSU_KEY,
      ORZO_SENSU_NAMESPACE: 'orzo',
      ORZO_ALERT_WEBHOOK_URL: `${hook.url}/hook`,
      ORZO_ALERT_WEBHOOK_SECRET: SECRET,
      ORZO_ALERT_RETRY_MAX_S: '2',
      ORZO_CRASHLOOP_RESTARTS: '3',
      ORZO_CRASHLOOP_WINDOW_S: '30',
    };
    await startBridge(true);
  });
  after(async () => {
    await app?.close();
    for (const r of replicas) {
      r.server.closeAllConnections();
      r.server.close();
    }
    await Promise.all([hook?.close(), sensu?.close(), am?.dispose(), nats?.dispose()]);
    rmSync(certDir, { recursive: true, force: true });
  });

  it('checks an https replica over TLS without verifying its self-signed certificate', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=replica.example',
        '-days',
        '1',
        '-keyout',
        join(certDir, 'k.pem'),
        '-out',
        join(certDir, 'c.pem'),
      ],
      {
        stdio: 'ignore',
      },
    );
    const tls = createHttpsServer(
      { key: readFileSync(join(certDir, 'k.pem')), cert: readFileSync(join(certDir, 'c.pem')) },
      (req, res) => ((res.statusCode = req.url === '/status' ? 200 : 404), res.end('secure')),
    );
    const port = await new Promise<number>((r) => tls.listen(0, '127.0.0.1', () => r((tls.address() as { port: number }).port)));
    replicas.push({ server: tls as unknown as Server, port, status: 200 });
    await deploy(spec('sec', 'main', 1, monitoring({ team: 'infra' }), 'https'));
    await sleep(200);
    await bus.publish(Subjects.InstanceStarted, { replica: ref('sec', 'main', 'sec-1', port), image: 'x', registrations: [] });
    await waitFor(async () => (await subjectCount(Subjects.InstanceHealthy)) >= 1, { what: 'the https replica to be healthy' });
  });

  it('2 of 3 replicas failing: nothing before alert_after, then Alertmanager holds the replication alert with its routing', async () => {
    const m = monitoring({
      team: 'infra',
      page: true,
      runbook: 'http://runbooks/web',
      tip: 'look at the web logs',
      description: 'the web frontend',
      slackChannels: ['#web'],
      project: 'WEB',
      alertAfterSeconds: ALERT_AFTER_S,
      realertEvery: 2,
    });
    await deploy(spec('web', 'main', 3, m));
    const rs = [await serve(), await serve(), await serve()];
    await sleep(200);
    for (const [i, r] of rs.entries())
      await bus.publish(Subjects.InstanceStarted, { replica: ref('web', 'main', `web-${i}`, r.port), image: 'x', registrations: [] });
    await waitFor(
      async () => (await fetch(metricsUrl).then((r) => r.text())).includes('orzo_monitor_replicas_available{service="web",instance="main",cluster="local"} 3'),
      {
        what: '3 of 3 available',
      },
    );
    rs[1]!.status = 500;
    rs[2]!.status = 503;
    const failedAt = Date.now();
    // For most of alert_after, nothing anywhere.
    while (Date.now() - failedAt < (ALERT_AFTER_S - 1.5) * 1000) {
      assert.equal(await amAlert(REPLICATION), undefined, 'no replication alert before alert_after');
      assert.equal(hooked(`local/${REPLICATION}`).length, 0);
      await sleep(250);
    }
    const alert = await waitFor(() => amAlert(REPLICATION), { timeoutMs: 20_000, what: 'the replication alert in Alertmanager' });
    assert.ok(Date.now() - failedAt >= ALERT_AFTER_S * 1000, 'fired no sooner than alert_after');
    assert.deepEqual(alert.labels, { alertname: REPLICATION, service: 'web', instance: 'main', cluster: 'local', team: 'infra', severity: 'critical' });
    assert.equal(alert.annotations.runbook, 'http://runbooks/web');
    assert.equal(alert.annotations.tip, 'look at the web logs');
    assert.equal(alert.annotations.description, 'the web frontend');
    assert.equal(alert.annotations.slack_channels, '#web');
    assert.match(alert.annotations.summary!, /has 1 out of 3 expected instances available \(threshold: 50%\)/);
    assert.ok(Date.parse(alert.endsAt) > Date.now(), 'endsAt in the future while it fires');
    // Each sink has its own loop: the webhook may get it a moment after Alertmanager.
    const first = await waitFor(() => hooked(`local/${REPLICATION}`, 'raised')[0], { what: 'the raise on the webhook' });
    const raised = first.body as { alert: { failingSince: string; raisedAt: string; page: boolean } };
    assert.ok(
      Date.parse(raised.alert.raisedAt) - Date.parse(raised.alert.failingSince) >= ALERT_AFTER_S * 1000,
      'raised after the condition held for alert_after',
    );
    const metrics = await fetch(metricsUrl).then((r) => r.text());
    assert.match(metrics, /orzo_monitor_replicas_expected\{service="web",instance="main",cluster="local"\} 3/);
    assert.match(metrics, /orzo_monitor_replicas_available\{service="web",instance="main",cluster="local"\} 1/);
    assert.match(metrics, /orzo_monitor_replicas_critical\{service="web",instance="main",cluster="local"\} 2/);
    assert.match(metrics, /orzo_monitor_alerts_firing\{service="web",instance="main",cluster="local"\} 1/);
    assert.match(metrics, /orzo_monitor_check_latency_seconds\{service="web",instance="main",cluster="local"\} \d/);
  });

  it('realert_every repeats the alert while it holds, signed on the webhook and valid for Sensu', async () => {
    // check_every 0.5 s, realert_every 2 runs: a repeat about every second.
    await waitFor(() => hooked(`local/${REPLICATION}`, 'raised').length >= 3, { timeoutMs: 15_000, what: 'two repeats on the webhook' });
    const repeats = hooked(`local/${REPLICATION}`, 'raised').map((r) => (r.body as { alert: { repeat?: number } }).alert.repeat ?? 0);
    assert.deepEqual(repeats.slice(0, 3), [0, 1, 2]);
    assert.deepEqual(
      hook.requests.flatMap((r) => r.problems),
      [],
      'every webhook request carried a valid signature',
    );
    await waitFor(() => sensu.requests.some((r) => (r.body as { check: { metadata: { name: string } } }).check.metadata.name === REPLICATION), {
      what: 'the alert on Sensu',
    });
    assert.deepEqual(
      sensu.requests.flatMap((r) => r.problems),
      [],
      'every Sensu request matched the documented event shape',
    );
    const ev = sensu.requests.find((r) => (r.body as { check: { metadata: { name: string } } }).check.metadata.name === REPLICATION)!.body as {
      entity: { entity_class: string; metadata: { name: string } };
      check: { status: number; ttl: number; interval: number; metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    };
    assert.deepEqual([ev.entity.entity_class, ev.entity.metadata.name, ev.check.status], ['proxy', 'web.main.local', 2]);
    assert.deepEqual(ev.check.metadata.labels, { team: 'infra' });
    assert.equal(ev.check.metadata.annotations.runbook, 'http://runbooks/web');
    assert.ok(ev.check.ttl > ev.check.interval);
  });

  it('lists the firing alert with since when and the sinks that have it (orzo alerts)', async () => {
    const res = await waitFor(
      async () => {
        const r = await bus.request(Rpcs.listAlerts, { service: 'web' }, { timeout: 5_000 });
        return r.alerts[0]?.deliveries.every((d) => d.state === 'delivered') ? r : undefined;
      },
      { what: 'the alert delivered everywhere' },
    );
    assert.equal(res.alerts.length, 1);
    const a = res.alerts[0]!;
    assert.deepEqual([a.check, a.team, a.page, a.severity], [REPLICATION, 'infra', true, 'critical']);
    assert.deepEqual(a.deliveries.map((d) => d.sink).sort(), ['alertmanager', 'sensu', 'webhook']);
    assert.ok(Date.parse(a.raisedAt) > 0);
    assert.equal((await bus.request(Rpcs.listAlerts, { service: 'nothing' }, { timeout: 5_000 })).alerts.length, 0);
  });

  it('an OOM kill fires oom-killer.<svc>.<inst> at once, with page false', async () => {
    await deploy(spec('mem', 'main', 1, monitoring({ team: 'infra', page: true, alertAfterSeconds: 600 })));
    await sleep(200);
    await bus.publish(Subjects.InstanceStopped, { replica: ref('mem', 'main', 'mem-1'), reason: 'oom-killed', exitCode: 137, oomKilled: true });
    const alert = await waitFor(() => amAlert('oom-killer.mem.main'), { what: 'the oom alert in Alertmanager' });
    assert.equal(alert.labels.severity, 'warning', 'page false even though the service pages');
    assert.match(alert.annotations.summary!, /killed by the OOM killer/);
    assert.equal(alert.annotations.page, 'false');
  });

  it('a failed deploy fires deploy-failed.<svc>.<inst> with the reason; the next completed deploy resolves it', async () => {
    await deploy(spec('rollout', 'main', 0, monitoring({ team: 'infra' })));
    await sleep(200);
    await bus.publish(Subjects.DeployFailed, {
      deployId: 'd-rollout',
      service: 'rollout',
      instance: 'main',
      cluster: 'local',
      reason: 'not converged after 600s',
      detail: 'replica r1: GET /status: HTTP 500',
    });
    const alert = await waitFor(() => amAlert('deploy-failed.rollout.main'), { what: 'the deploy-failed alert' });
    assert.match(alert.annotations.summary!, /Deploy d-rollout of rollout\.main failed: not converged after 600s \(replica r1: GET \/status: HTTP 500\)/);
    await bus.publish(Subjects.DeployCompleted, {
      deployId: 'd2',
      service: 'rollout',
      instance: 'main',
      cluster: 'local',
      image: 'x',
      gitSha: 'abc',
      configHash: 'c',
    });
    await waitFor(() => hooked('local/deploy-failed.rollout.main', 'resolved').length === 1, { what: 'the deploy-failed alert resolved' });
  });

  it('Alertmanager down for 20 s: a crash loop raised meanwhile reaches it once it is back; the webhook is not held back', async () => {
    await am.stop();
    await deploy(spec('crash', 'main', 1, monitoring({ team: 'infra' })));
    await sleep(200);
    for (let i = 0; i < 3; i++) {
      await bus.publish(Subjects.InstanceStopped, { replica: ref('crash', 'main', `crash-${i}`), reason: 'exited with code 1', exitCode: 1, oomKilled: false });
      await sleep(1_000);
    }
    await waitFor(() => hooked('local/crash-loop.crash.main', 'raised').length > 0, { what: 'the crash-loop alert on the webhook while Alertmanager is down' });
    const pending = await bus.request(Rpcs.listAlerts, { service: 'crash' }, { timeout: 5_000 });
    const amDelivery = pending.alerts[0]!.deliveries.find((d) => d.sink === 'alertmanager')!;
    assert.equal(amDelivery.state, 'pending');
    await sleep(17_000);
    await am.start();
    const alert = await waitFor(() => amAlert('crash-loop.crash.main'), { timeoutMs: 30_000, what: 'the crash-loop alert in Alertmanager after its restart' });
    assert.match(alert.annotations.summary!, /3 replica crash\(es\)/);
    // Alertmanager keeps alerts in memory: the re-send also brings back what fired before it died.
    await waitFor(() => amAlert(REPLICATION), { timeoutMs: 15_000, what: 'the replication alert re-sent after the restart' });
  });

  it('a service with no team: nothing is sent, and one log line says why', async () => {
    await deploy(spec('quiet', 'main', 2, monitoring({ team: '' })));
    await sleep(3_000); // six check runs, each CRITICAL (0 of 2 replicas)
    const lines = logs.split('\n').filter((l) => l.includes('dropped') && l.includes('check_paasta_services_replication.quiet.main'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /quiet has no monitoring team/);
    assert.equal(hook.requests.filter((r) => (r.body as { alert: { service: string } }).alert.service === 'quiet').length, 0);
    assert.equal((await am.alerts()).filter((a) => a.labels.service === 'quiet').length, 0);
  });

  it('a restart of monitor-bridge keeps the firing alert: not raised anew, still listed, still repeated', async () => {
    const before = hooked(`local/${REPLICATION}`, 'raised').length;
    const listed = (await bus.request(Rpcs.listAlerts, { service: 'web' }, { timeout: 5_000 })).alerts[0]!;
    await app.close();
    await startBridge(false);
    await waitFor(async () => (await bus.request(Rpcs.listAlerts, { service: 'web' }, { timeout: 5_000 })).alerts[0], {
      what: 'the alert listed after the restart',
    });
    const after = (await bus.request(Rpcs.listAlerts, { service: 'web' }, { timeout: 5_000 })).alerts[0]!;
    assert.equal(after.raisedAt, listed.raisedAt, 'the same firing alert, since the same time');
    await waitFor(() => hooked(`local/${REPLICATION}`, 'raised').length > before, { timeoutMs: 15_000, what: 'a repeat after the restart' });
    const repeats = hooked(`local/${REPLICATION}`, 'raised').map((r) => (r.body as { alert: { repeat?: number } }).alert.repeat ?? 0);
    assert.equal(repeats.filter((n) => n === 0).length, 1, 'raised once; everything after it is a repeat');
  });

  it('healthy again: the replication alert is resolved everywhere', async () => {
    for (const r of replicas) r.status = 200;
    await waitFor(async () => !(await amAlert(REPLICATION)), { timeoutMs: 20_000, what: 'the replication alert to leave Alertmanager' });
    const resolved = await waitFor(() => hooked(`local/${REPLICATION}`, 'resolved')[0], { what: 'the resolution on the webhook' });
    assert.match((resolved.body as { resolved: { output: string } }).resolved.output, /3 out of 3/);
    const ok = await waitFor(
      () =>
        sensu.requests.find((r) => {
          const b = r.body as { check: { metadata: { name: string }; status: number } };
          return b.check.metadata.name === REPLICATION && b.check.status === 0;
        }),
      { what: 'the OK event on Sensu' },
    );
    assert.equal((ok.body as { check: { ttl: number } }).check.ttl, 0, 'a resolved check is not expected again');
    assert.equal(hooked(`local/${REPLICATION}`, 'resolved').length, 1, 'resolved once');
    const listed = await bus.request(Rpcs.listAlerts, { service: 'web' }, { timeout: 5_000 });
    assert.equal(listed.alerts.length, 0);
  });
});
