import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { BusService } from '@orzo/bus';
import { InstanceSpec, Rpcs, Subjects, decodeEvent } from '@orzo/contracts';
import { NatsServerHandle, buildImage, ensureBusyboxBase, freePort, httpGet, startNatsServer, waitFor } from '@orzo/testing';
import { DockerEngine } from '../src/docker-engine';
import { bootBridge, lastEvent, requestDeploy } from './bridge-app';
import { helloSpec } from './hello-spec';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
/** monitor-bridge, run as its own process (a service never imports another's code). */
const monitorMain = join(__dirname, '..', '..', '..', 'monitor-bridge', 'dist', 'src', 'main.js');
const cluster = `heal-${process.pid}`;
const SHA = '5555555555555555555555555555555555555555';
const IMAGE = 'orzo-test/hello:heal';

/**
 * Self-healing with real Docker, real NATS and a real monitor-bridge: a replica failing its
 * check is replaced, a crashing one restarts with a growing backoff, healthcheck_cmd runs in
 * the container through scheduler-bridge's exec.
 */
describe('scheduler-bridge self-healing: unhealthy replicas replaced, crash backoff, cmd checks', () => {
  const docker = new Docker();
  const engine = new DockerEngine(docker);
  let nats: NatsServerHandle;
  let app: INestApplication;
  let monitor: ChildProcess | undefined;
  /** Every instance.started / instance.stopped seen, with when it arrived. */
  const seen: Array<{ subject: string; at: number; instance: string; replicaId: string; reason?: string }> = [];

  const spec = (instance: string, over: Partial<InstanceSpec> = {}): InstanceSpec =>
    helloSpec(cluster, { image: IMAGE, gitSha: SHA, configHash: 'confighealhe' }, { instance, deployGroup: `${cluster}.${instance}`, ...over });
  const running = async (instance: string) => (await engine.list({ cluster, instance })).filter((r) => r.running);

  before(async () => {
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: examples, tag: IMAGE, buildargs: { VERSION: 'heal' } });
    nats = await startNatsServer();
    app = await bootBridge({
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-heal-')),
      ORZO_SCHEDULER_CLUSTERS: cluster,
      ORZO_RECONCILE_INTERVAL_MS: '1000',
      ORZO_DEPLOY_TIMEOUT_S: '120',
    });
    const env = {
      PATH: process.env.PATH,
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-heal-mon-')),
      ORZO_HTTP_PORT: String(await freePort()),
      ORZO_LOG_LEVEL: 'warn',
    };
    assert.equal(spawnSync(process.execPath, [monitorMain, 'migrate'], { env }).status, 0);
    monitor = spawn(process.execPath, [monitorMain], { env, stdio: 'ignore' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${env.ORZO_HTTP_PORT}/healthz`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      what: 'monitor-bridge up',
    });
    const nc = app.get(BusService).connection;
    for (const subject of [Subjects.InstanceStarted, Subjects.InstanceStopped])
      nc.subscribe(subject, {
        callback: (_err, m) => {
          const d = decodeEvent(subject, m.data);
          if (!d.ok) return;
          const p = d.event.payload as unknown as { replica: { instance: string; replicaId: string }; reason?: string };
          seen.push({ subject, at: Date.now(), instance: p.replica.instance, replicaId: p.replica.replicaId, reason: p.reason });
        },
      });
  });
  after(async () => {
    monitor?.kill('SIGKILL');
    await app?.close();
    for (const r of await engine.list({ cluster })) await engine.remove(r.id);
    await nats.dispose();
  });

  it('replaces a replica whose health check keeps failing, keeping the healthy one, and says why', async () => {
    await requestDeploy(
      app,
      'heal-1',
      spec('web', {
        replicas: 2,
        healthcheck: {
          mode: 'http',
          uri: '/status',
          cmd: '',
          gracePeriodSeconds: 0,
          intervalSeconds: 0.3,
          timeoutSeconds: 1,
          maxConsecutiveFailures: 3,
          headers: {},
        },
      }),
    );
    await waitFor(async () => (await running('web')).length === 2, { timeoutMs: 60_000, what: '2 replicas of web' });
    // Replacement is for a running instance: a deploy in progress leaves its unhealthy replicas to the bounce.
    await waitFor(async () => (await lastEvent<{ deployId: string }>(app, Subjects.DeployCompleted))?.deployId === 'heal-1', {
      timeoutMs: 60_000,
      what: 'deploy heal-1 completed',
    });
    const [victim, survivor] = await running('web');
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${victim!.hostPort}/status`)).status === 200, { what: 'the victim serving' });
    // The fault: its health endpoint starts failing (the page the check reads is gone).
    execFileSync('docker', ['exec', victim!.id, 'rm', '/www/status']);
    const stopped = await waitFor(() => seen.find((s) => s.subject === Subjects.InstanceStopped && s.replicaId === victim!.id), {
      timeoutMs: 60_000,
      what: 'the unhealthy replica replaced',
    });
    assert.match(stopped.reason!, /^replaced: failed [3-9]\d* health checks$/);
    const now = await running('web');
    assert.equal(now.length, 2, 'back to 2 replicas');
    assert.ok(
      now.some((r) => r.id === survivor!.id),
      'the healthy replica was never touched',
    );
    const replacement = now.find((r) => r.id !== survivor!.id)!;
    assert.equal((await httpGet(`http://127.0.0.1:${replacement.hostPort}/status`)).status, 200, 'the replacement serves');
    // The replacement started before the unhealthy one was stopped: never fewer healthy than before.
    const started = seen.find((s) => s.subject === Subjects.InstanceStarted && s.replicaId === replacement.id)!;
    assert.ok(started.at <= stopped.at, 'replacement first, then the drain');
  });

  it('restarts a replica that keeps exiting with a growing backoff, and says so', async (t) => {
    await requestDeploy(app, 'heal-2', spec('crashy', { replicas: 1, cmd: 'echo crashing; exit 1', backoffSeconds: 1 }));
    const starts = () => seen.filter((s) => s.subject === Subjects.InstanceStarted && s.instance === 'crashy').map((s) => s.at);
    await waitFor(() => starts().length >= 5, { timeoutMs: 60_000, what: '5 starts of the crashing instance' });
    const at = starts();
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Lower bounds only: after the first crash it starts again at once; after the k-th in a row
    // (k >= 2) it waits at least 1 s × 2^(k-2) from the crash, so from the start before it too.
    for (const [i, gap] of gaps.slice(1, 4).entries()) assert.ok(gap >= 1000 * 2 ** i, `gap ${i + 2} is ${gap} ms, at least ${1000 * 2 ** i} ms expected`);
    t.diagnostic(`gaps between starts: ${gaps.map((g) => `${g} ms`).join(', ')}`);
    const progress = await waitFor(
      async () => {
        const { jetstreamManager } = await import('@nats-io/jetstream');
        const jsm = await jetstreamManager(app.get(BusService).connection);
        const m = await jsm.streams.getMessage('ORZO_DEPLOY', { last_by_subj: Subjects.DeployProgressed }).catch(() => null);
        const d = m && decodeEvent(Subjects.DeployProgressed, m.data);
        const p =
          d && d.ok ? (d.event.payload as unknown as { instance: string; message: string; problems: Array<{ action: string; attempts: number }> }) : undefined;
        return p?.instance === 'crashy' && p.problems.some((x) => x.action === 'backoff') ? p : undefined;
      },
      { timeoutMs: 30_000, what: 'deploy.progressed telling the crash loop' },
    );
    assert.match(progress.message, /^crash loop: \d+ crash\(es\) in a row \(last: exited with code 1\), next start at /);
    await requestDeploy(app, 'heal-2-stop', spec('crashy', { replicas: 1, cmd: 'echo crashing; exit 1', backoffSeconds: 1, desiredState: 'stop' }));
  });

  it('replaces a healthy replica killed from outside at once, however often: no crash backoff', async () => {
    // A backoff of 300 s: a kill counted as a crash would hold the second replacement for minutes.
    const backoffs: string[] = [];
    const sub = app.get(BusService).connection.subscribe(Subjects.DeployProgressed, {
      callback: (_err, m) => {
        const d = decodeEvent(Subjects.DeployProgressed, m.data);
        const p = d.ok ? (d.event.payload as unknown as { instance: string; message: string; problems: Array<{ action: string }> }) : undefined;
        if (p?.instance === 'killed' && p.problems.some((x) => x.action === 'backoff')) backoffs.push(p.message);
      },
    });
    await requestDeploy(app, 'heal-4', spec('killed', { replicas: 1, backoffSeconds: 300 }));
    await waitFor(async () => (await lastEvent<{ deployId: string }>(app, Subjects.DeployCompleted))?.deployId === 'heal-4', {
      timeoutMs: 60_000,
      what: 'deploy heal-4 completed',
    });
    const starts = () => seen.filter((s) => s.subject === Subjects.InstanceStarted && s.instance === 'killed').map((s) => s.replicaId);
    for (let kill = 1; kill <= 3; kill++) {
      const [victim] = await running('killed');
      await waitFor(async () => (await httpGet(`http://127.0.0.1:${victim!.hostPort}/status`).catch(() => undefined))?.status === 200, {
        what: `replica ${kill} serving`,
      });
      // A timer pass (every second here) has probed it happy by now.
      await new Promise((r) => setTimeout(r, 1_500));
      await docker.getContainer(victim!.id).kill({ signal: 'SIGKILL' });
      const replacement = await waitFor(async () => (await running('killed')).find((r) => r.id !== victim!.id && starts().includes(r.id)), {
        timeoutMs: 60_000,
        what: `the replacement after kill ${kill}`,
      });
      assert.notEqual(replacement.id, victim!.id);
    }
    sub.unsubscribe();
    assert.deepEqual(backoffs, [], 'no crash loop reported');
    await requestDeploy(app, 'heal-4-stop', spec('killed', { replicas: 1, desiredState: 'stop' }));
  });

  it('runs healthcheck_cmd in the container: exit 0 passes, a missing file fails, a command past its timeout fails', async () => {
    await requestDeploy(
      app,
      'heal-3',
      spec('cmd', {
        replicas: 1,
        cmd: 'touch /tmp/ok; exec httpd -f -p 8080 -h /www',
        healthcheck: {
          mode: 'cmd',
          uri: '',
          cmd: 'test -f /tmp/ok',
          gracePeriodSeconds: 0,
          intervalSeconds: 0.3,
          timeoutSeconds: 1,
          maxConsecutiveFailures: 2,
          headers: {},
        },
      }),
    );
    await waitFor(async () => (await running('cmd')).length === 1, { timeoutMs: 60_000, what: 'the cmd-checked replica' });
    const [r] = await running('cmd');
    const bus = app.get(BusService);
    const exec = (cmd: string, timeoutMs = 2_000) =>
      bus.request(Rpcs.execInReplica(cluster), { replicaId: r!.id, cmd, timeoutMs }, { timeout: timeoutMs + 5_000 });
    assert.deepEqual(await exec('test -f /tmp/ok'), { exitCode: 0, output: '', timedOut: false });
    const healthy = await waitFor(() => lastInstanceEvent(Subjects.InstanceHealthy, r!.id), { timeoutMs: 30_000, what: 'monitor-bridge: healthy by its cmd' });
    assert.match(healthy, /^cmd test -f \/tmp\/ok: exit 0/);
    const slow = await exec('sleep 5', 500);
    assert.equal(slow.timedOut, true);
    assert.equal(slow.exitCode, -1);
    const out = await exec('echo to-stdout; echo to-stderr >&2; exit 3');
    assert.equal(out.exitCode, 3);
    assert.match(out.output, /to-stdout/);
    assert.match(out.output, /to-stderr/);
    execFileSync('docker', ['exec', r!.id, 'rm', '/tmp/ok']);
    assert.equal((await exec('test -f /tmp/ok')).exitCode, 1);
    const unhealthy = await waitFor(() => lastInstanceEvent(Subjects.InstanceUnhealthy, r!.id), {
      timeoutMs: 30_000,
      what: 'monitor-bridge: unhealthy by its cmd',
    });
    assert.match(unhealthy, /^cmd test -f \/tmp\/ok: exit 1/);
    await assert.rejects(
      bus.request(Rpcs.execInReplica(cluster), { replicaId: 'no-such-replica', cmd: 'true', timeoutMs: 1_000 }, { timeout: 5_000 }),
      /does not run/,
    );
  });

  /** The check output of the latest healthy/unhealthy event of a replica (core NATS sees every JetStream publish). */
  const checkOutputs = new Map<string, string>();
  function lastInstanceEvent(subject: string, replicaId: string): string | undefined {
    return checkOutputs.get(`${subject}/${replicaId}`);
  }
  before(() => {
    const nc = app.get(BusService).connection;
    for (const subject of [Subjects.InstanceHealthy, Subjects.InstanceUnhealthy])
      nc.subscribe(subject, {
        callback: (_err, m) => {
          const d = decodeEvent(subject, m.data);
          if (!d.ok) return;
          const p = d.event.payload as unknown as { replica: { replicaId: string }; checkOutput: string };
          checkOutputs.set(`${subject}/${p.replica.replicaId}`, p.checkOutput);
        },
      });
  });
});
