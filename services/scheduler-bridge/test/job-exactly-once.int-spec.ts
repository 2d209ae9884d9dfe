import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { NatsConnection, connectNats } from '@orzo/bus';
import { Subjects } from '@orzo/contracts';
import { NatsServerHandle, ensureBusyboxBase, freePort, sleep, startNatsServer, waitFor } from '@orzo/testing';
import { jobSpec, ofSubject, publishDesired, removeJobContainers, storedJobEvents, watchJobStarts } from './job-helpers';

const main = join(__dirname, '..', 'src', 'main.js');

/** A scheduler-bridge as a child process (its own database), which the test can kill -9 and start again. */
class Bridge {
  private child?: ChildProcess;
  private readonly env: NodeJS.ProcessEnv;

  constructor(natsUrl: string, cluster: string, port: number) {
    this.env = {
      PATH: process.env.PATH,
      ORZO_NATS_URL: natsUrl,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-jobs-bridge-')),
      ORZO_HTTP_PORT: String(port),
      ORZO_LOG_LEVEL: 'warn',
      ORZO_SCHEDULER_CLUSTERS: cluster,
      ORZO_RECONCILE_INTERVAL_MS: '5000',
    };
    assert.equal(spawnSync(process.execPath, [main, 'migrate'], { env: this.env }).status, 0);
  }

  async start(): Promise<void> {
    const out = process.env.ORZO_TEST_BRIDGE_LOG ? openSync(`${process.env.ORZO_TEST_BRIDGE_LOG}-${this.env.ORZO_HTTP_PORT}.log`, 'a') : 'ignore';
    this.child = spawn(process.execPath, [main], {
      env: { ...this.env, ...(out !== 'ignore' ? { ORZO_LOG_LEVEL: 'debug' } : {}) },
      stdio: ['ignore', out, out],
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${this.env.ORZO_HTTP_PORT}/healthz`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      what: 'scheduler-bridge up',
    });
  }

  async kill9(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    // Killed by a signal, a child has a signalCode and no exitCode: its 'exit' has already fired.
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
}

/** Scheduled runs of one job from the stored run-started events: [unix ms, trigger], by due time. */
async function scheduledRuns(nc: NatsConnection, job: string): Promise<Array<{ runId: string; at: number; trigger: string }>> {
  return ofSubject(await storedJobEvents(nc), Subjects.JobRunStarted)
    .filter((e) => e.run?.job === job && e.run.trigger !== 'manual')
    .map((e) => ({ runId: e.run!.runId, at: Date.parse(e.run!.scheduledAt), trigger: e.run!.trigger }))
    .sort((a, b) => a.at - b.at);
}

describe('timed jobs fire exactly once: two scheduler-bridges, kill -9, restart, downtime', () => {
  const docker = new Docker();
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const bridges: Bridge[] = [];
  const clusters = [`once-${process.pid}`, `catchup-${process.pid}`];

  before(async () => {
    await ensureBusyboxBase(docker);
    nats = await startNatsServer();
    nc = await connectNats(nats.url, 'test');
  });

  after(async () => {
    for (const b of bridges) await b.kill9();
    // A bridge killed while dockerd was creating a container leaves it: created a moment later.
    await sleep(2_000);
    for (const c of clusters) await removeJobContainers(docker, c);
    await nc.close();
    await nats.dispose();
  });

  it('interval 2s: every due time runs once, while two bridges run and each is killed -9 and restarted', async () => {
    const cluster = clusters[0]!;
    const starts = await watchJobStarts(docker, cluster);
    const [a, b] = [new Bridge(nats.url, cluster, await freePort()), new Bridge(nats.url, cluster, await freePort())];
    bridges.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await publishDesired(nc, cluster, [jobSpec(cluster, 'tick', 'interval 2s', [{ name: 'tick', command: 'echo tick at $(date)' }])]);
    await waitFor(async () => (await scheduledRuns(nc, 'tick')).length >= 3, { timeoutMs: 30_000, what: '3 runs of tick' });
    await sleep(4_000);
    await a.kill9();
    await sleep(1_000);
    await a.start();
    await sleep(6_000);
    await b.kill9();
    await sleep(1_000);
    await b.start();
    await sleep(6_000);
    const end = Date.now();
    // A run the kill caught mid-way holds its claim until it goes stale (CLAIM_STALE_MS): the
    // next runs queue behind it (allow_overlap false), then start late, as of their due time.
    await waitFor(
      async () => {
        const runs = await scheduledRuns(nc, 'tick');
        return runs.length > 0 && runs.at(-1)!.at >= end - 2_000;
      },
      { timeoutMs: 30_000, what: 'every run due before the end started' },
    );
    await sleep(2_000);
    starts.stop();

    const runs = (await scheduledRuns(nc, 'tick')).filter((r) => r.at <= end);
    const seen = runs.map((r) => `${new Date(r.at).toISOString().slice(14, 19)}${r.trigger === 'catch-up' ? '(c)' : ''}`).join(' ');
    assert.ok(runs.length >= 12, `${runs.length} runs in the window: ${seen}`);
    assert.equal(new Set(runs.map((r) => r.runId)).size, runs.length, 'distinct run ids');
    const gaps = runs.slice(1).map((r, i) => r.at - runs[i]!.at);
    assert.deepEqual(
      gaps.filter((g) => g !== 2_000),
      [],
      `consecutive due times 2 s apart: ${runs.map((r) => new Date(r.at).toISOString().slice(14, 19)).join(' ')}`,
    );
    assert.ok(end - runs.at(-1)!.at < 4_000, 'runs went on to the end');
    // What the engine really did: never two containers for one run (a double run that the
    // events' de-duplication would hide), and exactly one for every run that finished (a run
    // the kill caught mid-way is reported failed, not resumed).
    const twice = [...starts.starts].filter(([run, n]) => run.startsWith('batch.tick.') && n !== 1);
    assert.deepEqual(twice, []);
    const succeeded = new Set(ofSubject(await storedJobEvents(nc), Subjects.JobRunSucceeded).map((e) => e.run!.runId));
    const finishedRuns = runs.filter((r) => succeeded.has(r.runId));
    assert.ok(finishedRuns.length >= runs.length - 3, `${finishedRuns.length} of ${runs.length} runs finished`);
    for (const r of finishedRuns) assert.equal(starts.starts.get(`${r.runId}:tick:1`), 1, `run ${r.runId} started one container`);
    await Promise.all([a.kill9(), b.kill9()]);
  });

  it('runs missed while the only bridge was down: one catch-up run, marked as such, then on schedule again', async () => {
    const cluster = clusters[1]!;
    const c = new Bridge(nats.url, cluster, await freePort());
    bridges.push(c);
    await c.start();
    await publishDesired(nc, cluster, [jobSpec(cluster, 'tock', 'interval 3s', [{ name: 'tock', command: 'echo tock' }])]);
    await waitFor(async () => (await scheduledRuns(nc, 'tock')).length >= 2, { timeoutMs: 30_000, what: '2 runs of tock' });
    await c.kill9();
    const down = Date.now();
    await sleep(10_000);
    const up = Date.now();
    await c.start();
    await waitFor(async () => (await scheduledRuns(nc, 'tock')).some((r) => r.trigger === 'catch-up'), { timeoutMs: 20_000, what: 'the catch-up run' });
    await sleep(7_000);

    const runs = await scheduledRuns(nc, 'tock');
    const catchUps = runs.filter((r) => r.trigger === 'catch-up');
    assert.equal(catchUps.length, 1, 'one catch-up run');
    const [catchUp] = catchUps;
    // As of the latest due time missed while down; nothing else of the downtime ran.
    assert.ok(catchUp!.at > down && catchUp!.at <= up + 3_000, `catch-up due ${new Date(catchUp!.at).toISOString()}`);
    const missedRan = runs.filter((r) => r.at > down && r.at < catchUp!.at);
    assert.deepEqual(missedRan, []);
    const after = runs.filter((r) => r.at > catchUp!.at);
    assert.ok(after.length >= 1 && after.every((r) => r.trigger === 'schedule'), 'back on schedule');
    await c.kill9();
  });
});
