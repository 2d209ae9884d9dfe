import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { JobActionResult, JobRunRef, JobSpec, MonitoringSpec, Subjects } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import { AlertmanagerHandle, NatsServerHandle, startAlertmanager, startNatsServer, waitFor } from '@orzo/testing';
import { monitorBridge } from '../src/definition';

const SUCCESS_WINDOW_S = 3;

/**
 * monitor-bridge on a private nats-server with a real Alertmanager; the test publishes what
 * control-api (job.desired) and the job runner (run-failed, run-late, run-succeeded) publish.
 */
describe('monitor-bridge job alerts: a failed run, a late run and no success in a day, routed to Alertmanager', () => {
  let nats: NatsServerHandle;
  let am: AlertmanagerHandle;
  let app: INestApplication;
  let bus: BusService;
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-mon-jobs-'));

  const monitoring = MonitoringSpec.fromPartial({
    team: 'batch',
    page: true,
    runbook: 'http://y/batch',
    checkEverySeconds: 60,
    alertAfterSeconds: 300,
    realertEvery: -1,
    set: true,
  });
  const job = (name: string, checkEveryDay: boolean): JobSpec =>
    JobSpec.fromPartial({
      service: 'batchsvc',
      cluster: 'local',
      job: name,
      flavor: 'tron',
      schedule: 'interval 2s',
      enabled: true,
      deployGroup: 'local.main',
      image: 'services-batchsvc:orzo-abc',
      gitSha: 'abc',
      actions: [{ name: 'action1', command: 'exit 42', requires: [], cpus: 0.1, memMb: 32, env: {} }],
      runLimit: 50,
      monitoring,
      checkEveryDay,
    });
  const ref = (name: string, runId: string): JobRunRef => ({
    runId,
    service: 'batchsvc',
    cluster: 'local',
    job: name,
    scheduledAt: new Date().toISOString(),
    trigger: 'schedule',
    gitSha: 'abc',
    image: 'services-batchsvc:orzo-abc',
    requestedBy: '',
  });
  const action = (state: string, exitCode: number): JobActionResult => ({
    name: 'action1',
    state,
    attempts: 3,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    exitCode,
    reason: state === 'failed' ? `exited with ${exitCode}` : '',
    log: '',
    containerId: '',
  });
  const amAlert = async (alertname: string) => (await am.alerts()).find((a) => a.labels.alertname === alertname);

  before(async () => {
    [nats, am] = await Promise.all([startNatsServer(), startAlertmanager()]);
    const ctx = prepareService(monitorBridge, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: dataDir,
      ORZO_HTTP_PORT: '0',
      ORZO_LOG_LEVEL: process.env.JOB_TEST_LOG ?? 'silent',
      ORZO_ALERTMANAGER_URL: am.url,
      ORZO_ALERTMANAGER_RESEND_S: '2',
      ORZO_ALERT_RETRY_MAX_S: '2',
      ORZO_JOB_SUCCESS_WINDOW_S: String(SUCCESS_WINDOW_S),
      ORZO_JOB_CHECK_EVERY_S: '0.5',
    });
    assert.ok(ctx);
    await monitorBridge.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, monitorBridge.module(ctx));
    await app.init();
    bus = app.get(BusService);
    await bus.publish(Subjects.JobsDesired, {
      service: 'batchsvc',
      cluster: 'local',
      jobs: [job('sample_tron_job', false), job('daily', true)],
      reason: 'test',
    });
  });
  after(async () => {
    await app?.close();
    await Promise.all([am?.dispose(), nats?.dispose()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a failed run raises tron.<service>.<job> at once with the job’s team; its next succeeded run resolves it', async () => {
    await bus.publish(Subjects.JobRunFailed, {
      run: ref('sample_tron_job', 'batchsvc.sample_tron_job.local.1'),
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      actions: [action('failed', 42), { ...action('skipped', 0), name: 'action2' }],
      reason: 'action1 failed after 3 attempts (exit 42)',
      // The runner may leave it out: the job's monitoring from job.desired routes it.
      monitoring: undefined,
    });
    const alert = await waitFor(() => amAlert('tron.batchsvc.sample_tron_job'), { timeoutMs: 15_000, what: 'the failed-run alert in Alertmanager' });
    assert.deepEqual(
      { ...alert.labels },
      { alertname: 'tron.batchsvc.sample_tron_job', service: 'batchsvc', instance: 'sample_tron_job', cluster: 'local', team: 'batch', severity: 'critical' },
    );
    assert.match(JSON.stringify(alert.annotations), /action1 failed after 3 attempts \(exit 42\)/);
    assert.match(JSON.stringify(alert.annotations), /http:\/\/y\/batch/);

    await bus.publish(Subjects.JobRunSucceeded, {
      run: ref('sample_tron_job', 'batchsvc.sample_tron_job.local.2'),
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      actions: [action('succeeded', 0)],
    });
    await waitFor(async () => !(await amAlert('tron.batchsvc.sample_tron_job')), { timeoutMs: 15_000, what: 'the failed-run alert resolved' });
  });

  it('a run past its expected_runtime is a WARNING (no page), resolved when a run of the job ends', async () => {
    await bus.publish(Subjects.JobRunLate, {
      run: ref('sample_tron_job', 'batchsvc.sample_tron_job.local.3'),
      action: 'action1',
      expectedRuntimeSeconds: 30,
      runningSeconds: 31,
      monitoring,
    });
    const alert = await waitFor(() => amAlert('tron.batchsvc.sample_tron_job.expected_runtime'), { timeoutMs: 15_000, what: 'the late-run alert' });
    assert.equal(alert.labels.severity, 'warning');
    assert.equal(alert.labels.team, 'batch');
    assert.match(JSON.stringify(alert.annotations), /past its expected_runtime of 30s/);
    await bus.publish(Subjects.JobRunSucceeded, {
      run: ref('sample_tron_job', 'batchsvc.sample_tron_job.local.3'),
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      actions: [action('succeeded', 0)],
    });
    await waitFor(async () => !(await amAlert('tron.batchsvc.sample_tron_job.expected_runtime')), { timeoutMs: 15_000, what: 'the late-run alert resolved' });
  });

  it('check_that_every_day_has_a_successful_run: CRITICAL after the window without a success (only for jobs that set it), resolved by a success', async () => {
    const daily = 'tron.batchsvc.daily.check_that_every_day_has_a_successful_run';
    const alert = await waitFor(() => amAlert(daily), { timeoutMs: 15_000, what: 'the no-success-in-a-day alert' });
    assert.equal(alert.labels.team, 'batch');
    assert.match(JSON.stringify(alert.annotations), /no successful run since/);
    assert.equal(await amAlert('tron.batchsvc.sample_tron_job.check_that_every_day_has_a_successful_run'), undefined, 'a job without the check never gets it');
    await bus.publish(Subjects.JobRunSucceeded, {
      run: ref('daily', 'batchsvc.daily.local.1'),
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      actions: [action('succeeded', 0)],
    });
    await waitFor(async () => !(await amAlert(daily)), { timeoutMs: 15_000, what: 'the daily alert resolved by a success' });
    // And raised again once that success is older than the window.
    await waitFor(() => amAlert(daily), { timeoutMs: (SUCCESS_WINDOW_S + 10) * 1000, what: 'the daily alert again after the window' });
  });
});
