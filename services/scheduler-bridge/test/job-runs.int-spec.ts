import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { NatsConnection, connectNats } from '@orzo/bus';
import { EventMap, Subjects } from '@orzo/contracts';
import { NatsServerHandle, ensureBusyboxBase, startNatsServer, waitFor } from '@orzo/testing';
import { bootBridge } from './bridge-app';
import { jobSpec, ofSubject, publishDesired, removeJobContainers, requestRun, storedJobEvents, watchJobStarts } from './job-helpers';

const cluster = `jobs-${process.pid}`;

describe('scheduler-bridge running timed jobs on a real Docker Engine', () => {
  const docker = new Docker();
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let app: INestApplication;
  let starts: Awaited<ReturnType<typeof watchJobStarts>>;

  /** The run's final event: run-failed, or run-succeeded (with an empty reason). */
  const finished = (runId: string): Promise<EventMap[typeof Subjects.JobRunFailed]> =>
    waitFor(
      async () => {
        const events = await storedJobEvents(nc);
        return (
          ofSubject(events, Subjects.JobRunFailed).find((e) => e.run?.runId === runId) ??
          ofSubject(events, Subjects.JobRunSucceeded)
            .filter((e) => e.run?.runId === runId)
            .map((e) => ({ ...e, reason: '', monitoring: undefined }))[0]
        );
      },
      { timeoutMs: 60_000, what: `run ${runId} finished` },
    );

  before(async () => {
    await ensureBusyboxBase(docker);
    nats = await startNatsServer();
    nc = await connectNats(nats.url, 'test');
    starts = await watchJobStarts(docker, cluster);
    app = await bootBridge({
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-jobs-')),
      ORZO_SCHEDULER_CLUSTERS: cluster,
      ORZO_RECONCILE_INTERVAL_MS: '1000',
    });
    await publishDesired(nc, cluster, baseJobs());
    await waitFor(async () => (await storedJobEvents(nc)).length > 0, { what: 'desired stored' });
    // The desired set reaches the scheduler through the KV bucket's watch.
    await new Promise((r) => setTimeout(r, 500));
  });

  const baseJobs = () => [
    // PaaSTA's sample_tron_job (yelpsoa-configs): action1 fails, action2 requires it.
    jobSpec(cluster, 'sample_tron_job', 'cron 0 4 * * *', [
      { name: 'action1', command: 'echo starting action1; exit 42', retries: 1, retriesDelaySeconds: 0.5 },
      { name: 'action2', command: '/bin/true', requires: ['action1'] },
    ]),
    jobSpec(cluster, 'stuck', 'cron 0 4 * * *', [
      { name: 'sleeper', command: 'echo going to sleep; sleep 60', maxRuntimeSeconds: 2, expectedRuntimeSeconds: 1 },
    ]),
    jobSpec(cluster, 'pipeline', 'cron 0 4 * * *', [
      { name: 'a', command: 'echo "a says $GREETING from $PAASTA_SERVICE"', env: { GREETING: 'hello' } },
      { name: 'b', command: 'echo b; sleep 1' },
      { name: 'c', command: 'echo c after a and b', requires: ['a', 'b'] },
    ]),
  ];

  after(async () => {
    starts.stop();
    await app?.close();
    const left = await removeJobContainers(docker, cluster);
    await nc.close();
    await nats.dispose();
    assert.equal(left, 0, 'every run removed its containers');
  });

  it('sample_tron_job: action1 fails twice (retries: 1), action2 is skipped, run-failed says why and carries the monitoring', async () => {
    await requestRun(nc, cluster, 'sample_tron_job', 'manual-sample-1');
    const failed = await finished('manual-sample-1');
    assert.ok(failed.reason);
    const [a1, a2] = failed.actions;
    assert.deepEqual(
      { name: a1?.name, state: a1?.state, attempts: a1?.attempts, exitCode: a1?.exitCode },
      { name: 'action1', state: 'failed', attempts: 2, exitCode: 42 },
    );
    assert.match(a1!.log, /starting action1/);
    assert.deepEqual({ name: a2?.name, state: a2?.state, reason: a2?.reason }, { name: 'action2', state: 'skipped', reason: 'requirement action1 failed' });
    assert.equal(failed.reason, 'action1 failed (exit code 42 after 2 attempts); action2 skipped (requirement action1 failed)');
    assert.equal(failed.monitoring?.team, 'batch-team');
    assert.equal(failed.run?.trigger, 'manual');
    assert.equal(failed.run?.requestedBy, 'tester');
    const attempts = ofSubject(await storedJobEvents(nc), Subjects.JobActionFinished).filter((e) => e.run?.runId === 'manual-sample-1');
    assert.deepEqual(
      attempts.map((e) => [e.result?.name, e.result?.attempts, e.willRetry]),
      [
        ['action1', 1, true],
        ['action1', 2, false],
      ],
    );
    assert.equal(starts.starts.get('manual-sample-1:action2:1'), undefined, 'action2 never ran');
  });

  it('max_runtime kills a sleep 60 within seconds (state killed), after a run-late past expected_runtime', async () => {
    const t0 = Date.now();
    await requestRun(nc, cluster, 'stuck', 'manual-stuck-1');
    const failed = await finished('manual-stuck-1');
    const took = (Date.now() - t0) / 1000;
    assert.ok(took < 20, `killed after ${took}s`);
    const [r] = failed.actions;
    assert.equal(r?.state, 'killed');
    assert.equal(r?.reason, 'killed after max_runtime 2s');
    assert.match(r!.log, /going to sleep/);
    const late = ofSubject(await storedJobEvents(nc), Subjects.JobRunLate).filter((e) => e.run?.runId === 'manual-stuck-1');
    assert.equal(late.length, 1);
    assert.equal(late[0]?.action, 'sleeper');
    assert.ok(late[0]!.runningSeconds >= 1);
  });

  it('a DAG: independent actions run in parallel, the next when both succeeded, env merged; output in the results', async () => {
    await requestRun(nc, cluster, 'pipeline', 'manual-pipeline-1');
    const done = await finished('manual-pipeline-1');
    assert.equal(done.reason, '', `succeeded: ${JSON.stringify(done)}`);
    const byName = Object.fromEntries(done.actions.map((a) => [a.name, a]));
    assert.equal(byName.a?.log.trim(), 'a says hello from batch');
    assert.ok(byName.c!.startedAt >= byName.b!.finishedAt, 'c started after b finished');
    assert.ok(byName.a!.startedAt < byName.b!.finishedAt, 'a ran while b ran');
    const started = ofSubject(await storedJobEvents(nc), Subjects.JobRunStarted).find((e) => e.run?.runId === 'manual-pipeline-1');
    assert.deepEqual(started?.actions, ['a', 'b', 'c']);
  });

  it('one action only (orzo job run --action), and a request delivered twice runs once', async () => {
    await requestRun(nc, cluster, 'pipeline', 'manual-pipeline-c', 'c');
    await requestRun(nc, cluster, 'pipeline', 'manual-pipeline-c', 'c');
    const done = await finished('manual-pipeline-c');
    assert.deepEqual(
      done.actions.map((a) => [a.name, a.state]),
      [['c', 'succeeded']],
    );
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(starts.starts.get('manual-pipeline-c:c:1'), 1, 'one container for the two requests');
  });

  it('a request for a job this cluster does not have fails with why', async () => {
    await requestRun(nc, cluster, 'nosuchjob', 'manual-none');
    const failed = await finished('manual-none');
    assert.ok(failed.reason);
    assert.match(failed.reason, /not scheduled on cluster/);
  });

  it('no overlap: queueing runs each due run after the previous, queueing false skips; a removed job stops', async () => {
    const t0 = Date.now();
    await publishDesired(nc, cluster, [
      ...baseJobs(),
      jobSpec(cluster, 'queued', 'interval 2s', [{ name: 'slow', command: 'sleep 3' }]),
      jobSpec(cluster, 'skipping', 'interval 2s', [{ name: 'slow', command: 'sleep 3' }], { queueing: false }),
    ]);
    await new Promise((r) => setTimeout(r, 13_000));
    await publishDesired(nc, cluster, baseJobs());
    const removedAt = Date.now();
    await new Promise((r) => setTimeout(r, 9_000));
    const events = await storedJobEvents(nc);
    const runsOf = (job: string) =>
      ofSubject(events, Subjects.JobRunSucceeded)
        .filter((e) => e.run?.job === job && Date.parse(e.run.scheduledAt) >= t0)
        .sort((a, b) => a.run!.scheduledAt.localeCompare(b.run!.scheduledAt));
    for (const job of ['queued', 'skipping']) {
      const runs = runsOf(job);
      assert.ok(runs.length >= 2, `${job}: ${runs.length} runs`);
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.startedAt >= runs[i - 1]!.finishedAt, `${job}: run ${i} started after run ${i - 1} finished`);
    }
    const dueGaps = (job: string) => {
      const runs = runsOf(job);
      return runs.slice(1).map((r, i) => (Date.parse(r.run!.scheduledAt) - Date.parse(runs[i]!.run!.scheduledAt)) / 1000);
    };
    // queueing: every due time of the window ran (late); queueing false: the ones due while a run ran were skipped.
    assert.deepEqual(new Set(dueGaps('queued')), new Set([2]));
    assert.ok(
      dueGaps('skipping').every((g) => g >= 4),
      `skipping gaps ${dueGaps('skipping').join(',')}`,
    );
    const startedAfterRemoval = ofSubject(events, Subjects.JobRunStarted).filter(
      (e) => (e.run?.job === 'skipping' || e.run?.job === 'queued') && Date.parse(e.startedAt) > removedAt + 1_000 && Date.parse(e.run.scheduledAt) > removedAt,
    );
    assert.deepEqual(startedAfterRemoval, [], 'a removed job is no longer scheduled');
  });
});
