import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import {
  AlertmanagerHandle,
  PlatformHandle,
  REPO_ROOT,
  SoaCopy,
  buildImage,
  copySoaConfigs,
  servicePidOf,
  ensureBusyboxBase,
  instancesYaml,
  startAlertmanager,
  startPlatform,
  waitFor,
} from '@orzo/testing';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';

/**
 * The whole platform (`orzo up`) on real Docker, HAProxy and NATS, with a real Alertmanager:
 * the example service under a private name with 3 replicas, plus an instance that allocates
 * beyond its mem limit and one whose container exits every second.
 */
describe('alerts on the real platform: replication, OOM kill and crash loop in Alertmanager', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  let am: AlertmanagerHandle;
  let soa: SoaCopy;
  const containers = async (instance: string) =>
    (await docker.listContainers({ all: true, filters: { label: ['orzo.managed=true', `orzo.service=${soa.service}`, `orzo.instance=${instance}`] } })).map(
      (c) => c.Id,
    );
  const amAlert = async (alertname: string) => (await am.alerts()).find((a) => a.labels.alertname === alertname);
  before(async () => {
    const svc = `hello-${Math.random().toString(36).slice(2, 8)}`;
    // Written after the copy, so the service's own name is used for its registration.
    const kube = instancesYaml({
      main: { instances: 3, registrations: [`${svc}.main`], monitoring: { alert_after: '6s', check_every: '1s' } },
      hog: { instances: 1, mem: 32, cmd: 'head -c 400m /dev/zero | tail' },
      crash: { instances: 1, cmd: 'sleep 1; exit 3', monitoring: { check_every: '1s' } },
    });
    const monitoring = [
      'team: e2e-team',
      'page: true',
      'runbook: http://runbooks/hello',
      'tip: the /status file of a replica is gone',
      'check_every: 2s',
      '',
    ].join('\n');
    soa = await copySoaConfigs({ service: svc, files: { 'kubernetes-local.yaml': kube, 'monitoring.yaml': monitoring } });
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: join(REPO_ROOT, 'examples', 'services', 'hello'), tag: `services-${svc}:orzo-${SHA}`, buildargs: { VERSION: 'v1' } });
    am = await startAlertmanager();
    platform = await startPlatform({
      ORZO_SOA_DIR: soa.dir,
      ORZO_ALERTMANAGER_URL: am.url,
      ORZO_ALERTMANAGER_RESEND_S: '5',
      ORZO_CRASHLOOP_WINDOW_S: '60',
    });
  });
  after(async () => {
    await platform?.stop();
    for (const instance of ['main', 'hog', 'crash'])
      for (const id of (await containers(instance).catch(() => [])) ?? []) await docker.getContainer(id).remove({ force: true });
    await docker
      .getImage(`services-${soa.service}:orzo-${SHA}`)
      .remove({ force: true })
      .catch(() => undefined);
    await am?.dispose();
    if (soa) rmSync(soa.dir, { recursive: true, force: true });
  });

  it('2 of 3 replicas fail their health check: after alert_after Alertmanager and orzo status hold the replication alert; healthy again, resolved', async (t) => {
    const svc = soa.service;
    const mark = platform.cli(['mark-for-deployment', '-s', svc, '-l', 'local.main', '-c', SHA]);
    assert.equal(mark.status, 0, mark.stderr + mark.stdout);
    await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${platform.port('monitor-bridge')}/metrics`).then((x) => x.text());
        return r.includes(`orzo_monitor_replicas_available{service="${svc}",instance="main",cluster="local"} 3`);
      },
      { timeoutMs: 90_000, what: `3 of 3 UP in discovery\n${platform.output().slice(-3000)}` },
    );
    const [a, b] = await containers('main');
    // scheduler-bridge would replace the failing replicas (max_consecutive_failures) before
    // alert_after: it is paused, so they "stay failed", as the scenario needs. Its pending
    // instance.unhealthy events reach it after SIGCONT, once they pass again: nothing is replaced.
    const scheduler = servicePidOf(platform, 'scheduler-bridge');
    process.kill(scheduler, 'SIGSTOP');
    t.after(() => process.kill(scheduler, 'SIGCONT'));
    for (const id of [a!, b!]) execFileSync('docker', ['exec', id, 'rm', '/www/status']);
    const broken = Date.now();
    const alertname = `check_paasta_services_replication.${svc}.main`;
    const alert = await waitFor(() => amAlert(alertname), {
      timeoutMs: 60_000,
      what: `the replication alert in Alertmanager\n${platform.output().slice(-3000)}`,
    });
    assert.ok(Date.now() - broken >= 6_000, 'not before alert_after');
    assert.deepEqual(alert.labels, { alertname, service: svc, instance: 'main', cluster: 'local', team: 'e2e-team', severity: 'critical' });
    assert.equal(alert.annotations.runbook, 'http://runbooks/hello');
    assert.equal(alert.annotations.tip, 'the /status file of a replica is gone');
    assert.match(alert.annotations.summary!, /has 1 out of 3 expected instances available/);
    const listed = platform.cli(['alerts', '-s', svc]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${alertname.replace(/\./g, '\\.')}\\s+local\\s+critical, page\\s+e2e-team\\s+alertmanager`));
    const status = platform.cli(['status', '-s', svc, '-i', 'main']);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /Alerts: {5}1 firing/);
    assert.match(status.stdout, new RegExp(`CRITICAL ${alertname.replace(/\./g, '\\.')} since \\S+ \\(team e2e-team, pages\\): .*1 out of 3`));
    for (const id of [a!, b!]) execFileSync('docker', ['exec', id, 'sh', '-c', 'echo ok > /www/status']);
    await waitFor(async () => !(await amAlert(alertname)), { timeoutMs: 60_000, what: 'the replication alert resolved' });
    await waitFor(() => !platform.cli(['status', '-s', svc, '-i', 'main']).stdout.includes('Alerts:'), {
      timeoutMs: 30_000,
      what: 'orzo status without the resolved alert',
    });
    process.kill(scheduler, 'SIGCONT');
    // The late unhealthy reports find the replicas passing again: none is replaced.
    await new Promise((r) => setTimeout(r, 5_000));
    const now = await containers('main');
    assert.ok(a && b && now.includes(a) && now.includes(b), 'replicas that recovered are kept');
  });

  it('a container allocating beyond its mem limit is OOM-killed: the oom alert fires with page false', async () => {
    const alert = await waitFor(() => amAlert(`oom-killer.${soa.service}.hog`), {
      timeoutMs: 90_000,
      what: `the oom alert\n${platform.output().slice(-3000)}`,
    });
    assert.equal(alert.labels.severity, 'warning', 'page: false, though monitoring.yaml pages');
    assert.match(alert.annotations.summary!, /killed by the OOM killer/);
  });

  it('a container that exits every second fires the crash-loop alert', async () => {
    const alert = await waitFor(() => amAlert(`crash-loop.${soa.service}.crash`), {
      timeoutMs: 90_000,
      what: `the crash-loop alert\n${platform.output().slice(-3000)}`,
    });
    assert.match(alert.annotations.summary!, /replica crash\(es\) in the last 60s/);
    // It is restarted with a growing backoff (backoff_seconds 10 by default), which orzo status tells.
    const status = await waitFor(
      () => {
        const r = platform.cli(['status', '-s', soa.service, '-i', 'crash']);
        return /Backoff: {4}crash loop/.test(r.stdout) ? r.stdout : undefined;
      },
      { timeoutMs: 60_000, what: 'orzo status telling the crash loop backoff' },
    );
    assert.match(status, /Backoff: {4}crash loop, (next start in \d+s|starting again now) \(\d+ crash\(es\) in a row; last: exited with code 3\)/);
    assert.equal(alert.labels.team, 'e2e-team');
  });
});
