import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ServiceError, credentials, status } from '@grpc/grpc-js';
import { BusService } from '@orzo/bus';
import { JobActionResult, JobRunRef, JobRunRequested, JobsDesired, Subjects, api, bearer, decodeEvent } from '@orzo/contracts';
import { parseSchedule } from '@orzo/soa-config';
import { NatsServerHandle, ORZO_CLI, SoaCopy, copySoaConfigs, databaseMatrix, readStream, startNatsServer, waitFor } from '@orzo/testing';
import { JobsService } from '../src/jobs/jobs.service';
import { ControlApiRig, callUnary, startControlApi } from './control-api-rig';
import { DatabaseHolder } from '@orzo/persistence';

const V1 = '1111111111111111111111111111111111111111';
const run = promisify(execFile);

/** PaaSTA's sample_tron_job, with a schedule (the schema requires one) and action2 after action1. */
export const TRON_LOCAL = `sample_tron_job:
  schedule: cron 0 4 * * *
  time_zone: Europe/Paris
  deploy_group: local.main
  run_limit: 3
  max_runtime: 2h
  monitoring:
    team: batch
    check_that_every_day_has_a_successful_run: true
  actions:
    action1:
      command: exit 42
      retries: 2
      retries_delay: 10s
      env:
        GREETING: hi
    action2:
      command: /bin/true
      requires: [action1]
      max_runtime: 1m
      expected_runtime: 30s
      cpus: 0.5
`;

for (const target of databaseMatrix()) {
  describe(`timed jobs in control-api (desired state, run history, enable/disable, run now) on real NATS and ${target.name}`, () => {
    let nats: NatsServerHandle;
    let rig: ControlApiRig;
    let soa: SoaCopy;
    let service: string;
    let failedRun = '';

    before(async () => {
      nats = await startNatsServer();
      soa = await copySoaConfigs({ files: { 'tron-local.yaml': TRON_LOCAL } });
      service = soa.service;
      const db: Record<string, string> = target.name === 'postgresql' ? { ORZO_DB_URL: target.url(), ORZO_DB_SCHEMA: target.schema } : {};
      rig = await startControlApi(nats, { env: { ORZO_SOA_DIR: soa.dir, ORZO_JOBS_REFRESH_SECONDS: '0', ...db } });
    });
    after(async () => {
      if (target.name === 'postgresql' && rig) {
        await rig.app
          .get(DatabaseHolder)
          .database.em()
          .execute(`drop schema if exists "${target.schema}" cascade`)
          .catch(() => undefined);
      }
      await rig?.close();
      await nats?.dispose();
      rmSync(soa.dir, { recursive: true, force: true });
    });

    const call = <Req, Res>(method: Parameters<typeof callUnary>[1], req: Req, client = rig.client) => callUnary<Req, Res>(client, method, req);
    const bus = () => rig.app.get(BusService);
    const desired = async (): Promise<JobsDesired[]> =>
      (await readStream(bus().connection, 'ORZO_JOB', Subjects.JobsDesired))
        .map((m) => decodeEvent(Subjects.JobsDesired, m.data))
        .flatMap((d) => (d.ok ? [d.event.payload as JobsDesired] : []))
        .filter((d) => d.service === service);
    const lastDesired = async (n: number): Promise<JobsDesired> => {
      let all: JobsDesired[] = [];
      await waitFor(async () => (all = await desired()).length >= n, { timeoutMs: 10_000, what: `${n} job.desired of ${service}` });
      return all[all.length - 1]!;
    };
    const rejects = (p: Promise<unknown>, code: status, message: RegExp) =>
      assert.rejects(p, (err: ServiceError) => {
        assert.equal(err.code, code, err.details);
        assert.match(err.details, message);
        return true;
      });
    const listJobs = () => call<api.ListJobsRequest, api.ListJobsResponse>('listJobs', { service, cluster: '' });
    const jobHistory = (limit = 20) =>
      call<api.JobHistoryRequest, api.JobHistoryResponse>('jobHistory', { service, job: 'sample_tron_job', limit, cluster: '' });
    const getRun = (runId: string) => call<api.GetJobRunRequest, api.GetJobRunResponse>('getJobRun', { runId, service: '', job: '' });
    const ref = (runId: string, scheduledAt: string, trigger = 'schedule'): JobRunRef => ({
      runId,
      service,
      cluster: 'local',
      job: 'sample_tron_job',
      scheduledAt,
      trigger,
      gitSha: V1,
      image: `services-${service}:orzo-${V1}`,
      requestedBy: '',
    });
    const result = (name: string, state: string, exitCode: number, log: string, attempts = 1): JobActionResult => ({
      name,
      state,
      attempts,
      startedAt: '2026-11-30T03:00:01Z',
      finishedAt: '2026-11-30T03:00:02Z',
      exitCode,
      reason: state === 'failed' ? `exited with ${exitCode}` : '',
      log,
      containerId: '',
    });

    it('publishes every service’s jobs at start, and the image with the compiled schedule and actions after a mark of their deploy group', async () => {
      const first = await lastDesired(1);
      assert.equal(first.cluster, 'local');
      assert.equal(first.jobs.length, 1);
      assert.equal(first.jobs[0]!.image, '', 'no version yet: nothing to run');

      await call<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>('markForDeployment', {
        service,
        deployGroup: 'local.main',
        image: '',
        commitSha: V1,
        requestedBy: '',
        autoRollback: false,
      });
      const d = await lastDesired(2);
      const job = d.jobs[0]!;
      assert.match(job.image, new RegExp(`services-${service}:orzo-${V1}$`));
      assert.equal(job.gitSha, V1);
      assert.equal(job.flavor, 'tron');
      assert.equal(job.schedule, 'cron 0 4 * * *');
      assert.equal(job.timeZone, 'Europe/Paris');
      assert.equal(job.enabled, true);
      assert.equal(job.runLimit, 3);
      assert.equal(job.checkEveryDay, true);
      assert.equal(job.monitoring?.team, 'batch');
      assert.equal(job.env.PAASTA_SERVICE, service);
      assert.equal(job.env.ORZO_CLUSTER, 'local');
      assert.equal(job.env.PAASTA_DEPLOY_GROUP, 'local.main');
      assert.equal(job.env.PAASTA_DOCKER_IMAGE, job.image);
      assert.equal(job.env.ORZO_GIT_SHA, V1);
      const [a1, a2] = job.actions;
      assert.deepEqual(
        { name: a1!.name, command: a1!.command, retries: a1!.retries, delay: a1!.retriesDelaySeconds, max: a1!.maxRuntimeSeconds, requires: a1!.requires },
        { name: 'action1', command: 'exit 42', retries: 2, delay: 10, max: 7200, requires: [] },
      );
      assert.equal(a1!.env.GREETING, 'hi');
      assert.equal(a1!.env.PAASTA_INSTANCE, 'sample_tron_job.action1');
      assert.deepEqual(
        { requires: a2!.requires, max: a2!.maxRuntimeSeconds, expected: a2!.expectedRuntimeSeconds, cpus: a2!.cpus },
        { requires: ['action1'], max: 60, expected: 30, cpus: 0.5 },
      );
    });

    it('disable and enable override the file, change job.desired and what ListJobs says', async () => {
      const before = (await desired()).length;
      await call<api.SetJobEnabledRequest, api.SetJobEnabledResponse>('setJobEnabled', {
        service,
        job: 'sample_tron_job',
        cluster: '',
        enabled: false,
        requestedBy: '',
      });
      assert.equal((await lastDesired(before + 1)).jobs[0]!.enabled, false);
      let [info] = (await listJobs()).jobs;
      assert.deepEqual({ enabled: info!.enabled, overridden: info!.enabledOverridden, next: info!.nextRun }, { enabled: false, overridden: true, next: '' });

      await call<api.SetJobEnabledRequest, api.SetJobEnabledResponse>('setJobEnabled', {
        service,
        job: 'sample_tron_job',
        cluster: 'local',
        enabled: true,
        requestedBy: '',
      });
      assert.equal((await lastDesired(before + 2)).jobs[0]!.enabled, true);
      [info] = (await listJobs()).jobs;
      assert.equal(info!.enabled, true);
      assert.equal(info!.gitSha, V1);
      assert.deepEqual(info!.actions, ['action1', 'action2']);
      // 04:00 in Paris is 03:00 UTC in winter.
      const next = new Date(info!.nextRun);
      assert.equal(
        next.getTime(),
        parseSchedule('cron 0 4 * * *', 'Europe/Paris')
          .schedule!.next(new Date(Date.now() - 60_000))!
          .getTime(),
      );
      assert.equal(next.getUTCHours(), 3);
    });

    it('RunJob publishes job.run-requested with a fresh run id; the run events make its history, once', async () => {
      const { runId, cluster } = await call<api.RunJobRequest, api.RunJobResponse>('runJob', {
        service,
        cluster: '',
        job: 'sample_tron_job',
        action: '',
        requestedBy: 'someone-else',
      });
      assert.equal(cluster, 'local');
      failedRun = runId;
      assert.match(runId, new RegExp(`^${service}\\.sample_tron_job\\.local\\.manual-`));
      const requested = (await readStream(bus().connection, 'ORZO_JOB', Subjects.JobRunRequested))
        .map((m) => decodeEvent(Subjects.JobRunRequested, m.data))
        .flatMap((d) => (d.ok ? [d.event.payload as JobRunRequested] : []));
      const mine = requested.find((r) => r.runId === runId);
      assert.ok(mine, 'run-requested published');
      assert.equal(mine.requestedBy, rig.adminName, 'the token, not the body, is who asked');
      assert.equal((await getRun(runId)).run?.state, 'requested');

      const r = ref(runId, '2026-11-30T03:00:00Z', 'manual');
      const events = async () => {
        await bus().publish(Subjects.JobRunStarted, { run: r, startedAt: '2026-11-30T03:00:01Z', actions: ['action1', 'action2'] });
        await bus().publish(Subjects.JobActionFinished, { run: r, result: result('action1', 'failed', 42, 'boom 1'), willRetry: true });
        await bus().publish(Subjects.JobRunFailed, {
          run: r,
          startedAt: '2026-11-30T03:00:01Z',
          finishedAt: '2026-11-30T03:00:40Z',
          actions: [result('action1', 'failed', 42, 'boom 3', 3), { ...result('action2', 'skipped', 0, ''), startedAt: '', finishedAt: '' }],
          reason: 'action1 failed after 3 attempts (exit 42)',
          monitoring: undefined,
        });
      };
      await events();
      await waitFor(async () => (await getRun(runId)).run?.state === 'failed', { timeoutMs: 10_000, what: 'the run failed in history' });
      // The runner publishing the same run again (a redelivery or a restart) changes nothing.
      await events();
      await bus().publish(Subjects.JobRunRequested, { runId, service, cluster: 'local', job: 'sample_tron_job', action: '', requestedBy: 'x' });
      await new Promise((res) => setTimeout(res, 1_500));
      const got = await getRun(runId);
      assert.equal(got.run?.state, 'failed');
      assert.equal(got.run?.reason, 'action1 failed after 3 attempts (exit 42)');
      assert.equal(got.run?.trigger, 'manual');
      assert.equal(got.run?.finishedAt, '2026-11-30T03:00:40Z');
      assert.deepEqual(
        got.actions.map((a) => [a.name, a.state, a.exitCode, a.attempts, a.log]),
        [
          ['action1', 'failed', 42, 3, 'boom 3'],
          ['action2', 'skipped', 0, 1, ''],
        ],
      );
      const runs = (await jobHistory()).runs.filter((x) => x.runId === runId);
      assert.equal(runs.length, 1, 'one run, however many times its events came');
    });

    it('keeps run_limit runs per job, newest first', async () => {
      for (let h = 10; h < 15; h++) {
        const at = `2026-12-0${h - 9}T04:00:00Z`;
        const r = ref(`${service}.sample_tron_job.local.${Date.parse(at) / 1000}`, at);
        await bus().publish(Subjects.JobRunSucceeded, {
          run: r,
          startedAt: at,
          finishedAt: at,
          actions: [result('action1', 'succeeded', 0, `day ${h}`), result('action2', 'succeeded', 0, 'ok')],
        });
      }
      await waitFor(async () => (await jobHistory()).runs[0]?.scheduledAt === '2026-12-05T04:00:00Z', { timeoutMs: 10_000, what: 'the last run in history' });
      await waitFor(async () => (await jobHistory()).runs.length === 3, { timeoutMs: 10_000, what: 'history trimmed to run_limit 3' });
      const { runs } = await jobHistory();
      assert.deepEqual(
        runs.map((r) => [r.scheduledAt, r.state]),
        [
          ['2026-12-05T04:00:00Z', 'succeeded'],
          ['2026-12-04T04:00:00Z', 'succeeded'],
          ['2026-12-03T04:00:00Z', 'succeeded'],
        ],
      );
      const latest = await call<api.GetJobRunRequest, api.GetJobRunResponse>('getJobRun', { runId: '', service, job: 'sample_tron_job' });
      assert.equal(latest.run?.scheduledAt, '2026-12-05T04:00:00Z');
      assert.equal(latest.actions.find((a) => a.name === 'action1')?.log, 'day 14');
      const [info] = (await listJobs()).jobs;
      assert.equal(info!.lastRuns[0]?.state, 'succeeded');
    });

    it('answers NOT_FOUND for an unknown service, job or run, naming what exists', async () => {
      await rejects(
        listJobs().then(() => call('listJobs', { service: 'no-such-service', cluster: '' })),
        status.NOT_FOUND,
        /no-such-service/,
      );
      await rejects(
        call('runJob', { service, cluster: '', job: 'nope', action: '', requestedBy: '' }),
        status.NOT_FOUND,
        /has no job "?nope"?.*local\.sample_tron_job/,
      );
      await rejects(call('runJob', { service, cluster: '', job: 'sample_tron_job', action: 'nope', requestedBy: '' }), status.NOT_FOUND, /action1, action2/);
      await rejects(call('jobHistory', { service, job: 'nope', limit: 5, cluster: '' }), status.NOT_FOUND, /has no job/);
      await rejects(call('setJobEnabled', { service, job: 'nope', cluster: '', enabled: false, requestedBy: '' }), status.NOT_FOUND, /has no job/);
      await rejects(getRun('no.such.run'), status.NOT_FOUND, /no job run/);
    });

    it('a read token lists jobs and history but may not run, enable or disable them', async () => {
      const { token } = await call<api.CreateTokenRequest, api.CreateTokenResponse>('createToken', {
        name: `reader-${target.name}`,
        scopes: ['read'],
        expires: '',
      });
      const reader = new api.ControlApiClient(rig.address, credentials.createInsecure(), { interceptors: [bearer(token)] });
      try {
        assert.equal((await call<api.ListJobsRequest, api.ListJobsResponse>('listJobs', { service, cluster: '' }, reader)).jobs.length, 1);
        assert.ok(
          (await call<api.JobHistoryRequest, api.JobHistoryResponse>('jobHistory', { service, job: 'sample_tron_job', limit: 5, cluster: '' }, reader)).runs
            .length,
        );
        await rejects(
          call('runJob', { service, cluster: '', job: 'sample_tron_job', action: '', requestedBy: '' }, reader),
          status.PERMISSION_DENIED,
          /operate/,
        );
        await rejects(
          call('setJobEnabled', { service, job: 'sample_tron_job', cluster: '', enabled: false, requestedBy: '' }, reader),
          status.PERMISSION_DENIED,
          /operate/,
        );
      } finally {
        reader.close();
      }
    });

    it("the CLI shows jobs, a job's history and a run's action logs, and disables a job (orzo against this control-api)", async () => {
      // Async: control-api runs in this process and must answer while the CLI waits.
      const orzo = (...args: string[]) =>
        run(process.execPath, [ORZO_CLI, ...args], {
          env: { ...process.env, ORZO_CONTROL_API: rig.address, ORZO_TOKEN: rig.adminToken, NO_COLOR: '1' },
          timeout: 30_000,
        }).then(
          (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
        );
      const list = await orzo('jobs', '-s', service);
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /JOB\s+SCHEDULE\s+STATE\s+NEXT RUN \(UTC\)\s+LAST RUNS/);
      assert.match(
        list.out,
        /local\.sample_tron_job\s+cron 0 4 \* \* \* \(Europe\/Paris\)\s+enabled \(override\)\s+\d{4}-\d\d-\d\d 03:00:00\s+succeeded 2026-12-05/,
      );
      const json = JSON.parse((await orzo('jobs', '-s', service, '--json')).out) as { jobs: Array<{ job: string; nextRun: string; lastRuns: unknown[] }> };
      assert.equal(json.jobs[0]!.job, 'sample_tron_job');
      assert.equal(json.jobs[0]!.lastRuns.length, 3);

      const history = await orzo('job', 'history', '-s', service, '-j', 'sample_tron_job');
      assert.equal(history.code, 0, history.err);
      assert.match(history.out, /RUN\s+STATE\s+TRIGGER/);
      assert.equal(history.out.match(/succeeded\s+schedule/g)?.length, 3, history.out);
      const historyJson = JSON.parse((await orzo('job', 'history', '-s', service, '-j', 'sample_tron_job', '--json')).out) as { runs: unknown[] };
      assert.equal(historyJson.runs.length, 3);

      const last = await orzo('logs', '-s', service, '-j', 'sample_tron_job');
      assert.equal(last.code, 0, last.err);
      assert.match(last.out, /Run .*\.1796443200 \(schedule, scheduled 2026-12-05 04:00:00\): succeeded/);
      assert.match(last.out, /== action1: succeeded, exit 0\nday 14\n== action2: succeeded, exit 0\nok/);

      // The manual run of earlier was trimmed past run_limit 3.
      const trimmed = await orzo('logs', '-s', service, '-j', 'sample_tron_job', '--run', failedRun);
      assert.equal(trimmed.code, 1);
      assert.match(trimmed.err, /NOT_FOUND: no job run .*run_limit/);
      const r = ref(`${service}.sample_tron_job.local.1796529600`, '2026-12-06T04:00:00Z');
      await bus().publish(Subjects.JobRunFailed, {
        run: r,
        startedAt: '2026-12-06T04:00:01Z',
        finishedAt: '2026-12-06T04:01:00Z',
        actions: [result('action1', 'failed', 42, 'boom 1\nboom 2\n', 3), { ...result('action2', 'skipped', 0, ''), startedAt: '', finishedAt: '' }],
        reason: 'action1 failed after 3 attempts (exit 42)',
        monitoring: undefined,
      });
      await waitFor(async () => (await jobHistory()).runs[0]?.state === 'failed', { timeoutMs: 10_000, what: 'the failed run in history' });
      const failed = await orzo('logs', '-s', service, '-j', 'sample_tron_job', '--run', r.runId);
      assert.equal(failed.code, 0, failed.err);
      assert.match(failed.out, /: failed: action1 failed after 3 attempts \(exit 42\)/);
      assert.match(failed.out, /== action1: failed, exit 42, 3 attempts \(exited with 42\)\nboom 1\nboom 2\n== action2: skipped/);

      const disabled = await orzo('job', 'disable', '-s', service, '-j', 'sample_tron_job');
      assert.equal(disabled.code, 0, disabled.err);
      assert.match(disabled.out, /Disabled .* local\.sample_tron_job/);
      assert.match((await orzo('jobs', '-s', service)).out, /disabled \(override\)\s+-\s/);

      const unknownJob = await orzo('job', 'run', '-s', service, '-j', 'nope');
      assert.equal(unknownJob.code, 1);
      assert.match(unknownJob.err, /NOT_FOUND: .*has no job "?nope"?; it has: local\.sample_tron_job/);
      const unknownService = await orzo('job', 'history', '-s', 'no-such-service', '-j', 'x');
      assert.equal(unknownService.code, 1);
      assert.match(unknownService.err, /NOT_FOUND: .*no-such-service/);
      const usage = await orzo('job', 'run', '-s', service);
      assert.equal(usage.code, 2);
      assert.match(usage.err, /job run needs -s <service> -j <job>/);
    });

    it('a change of the soa-configs tree is published when control-api reads it again; an unchanged tree publishes nothing; no jobs left publishes an empty list', async () => {
      const jobs = rig.app.get(JobsService);
      const before = (await desired()).length;
      writeFileSync(join(soa.dir, service, 'tron-local.yaml'), TRON_LOCAL.replace('cron 0 4 * * *', 'cron 0 5 * * *'));
      await jobs.refresh('soa-configs changed', false);
      const changed = await lastDesired(before + 1);
      assert.equal(changed.jobs[0]!.schedule, 'cron 0 5 * * *');
      assert.equal(changed.jobs[0]!.enabled, false, 'the operator override still applies');
      await jobs.refresh('soa-configs changed', false);
      await new Promise((res) => setTimeout(res, 500));
      assert.equal((await desired()).length, before + 1, 'nothing changed: nothing published');
      rmSync(join(soa.dir, service, 'tron-local.yaml'));
      await jobs.refresh('soa-configs changed', false);
      assert.deepEqual((await lastDesired(before + 2)).jobs, [], 'the scheduler drops the job');
    });
  });
}
