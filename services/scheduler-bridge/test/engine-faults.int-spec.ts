import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { DeployProgressed, Subjects, decodeEvent } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, buildImage, ensureBusyboxBase, httpGet, startNatsServer, waitFor } from '@orzo/testing';
import { schedulerBridge } from '../src/definition';
import { DockerEngine } from '../src/docker-engine';
import { ENGINES, Engines } from '../src/engine/engines';
import { helloSpec } from './hello-spec';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `faults-${process.pid}`;
const SHA = '5555555555555555555555555555555555555555';
/** What dockerd answered in the field after a restart (issue 9) for one dead container. */
const BUSY =
  '(HTTP code 500) server error - driver "overlay2" failed to remove root filesystem for 0123: unlinkat /var/lib/docker/overlay2/0123/merged: device or resource busy';

const spec = helloSpec(cluster, { image: 'orzo-test/hello:faults', gitSha: SHA, configHash: 'configfaults00' });

/**
 * One container the engine cannot remove. The real failure needs a broken overlayfs (a
 * `merged` dir still mounted after dockerd was killed), which no test can make on purpose on a
 * shared engine; so the fault is injected at the adapter boundary: the bridge's own
 * DockerEngine instance refuses `remove` for that one container id with dockerd's message.
 * Everything else (containers, health checks, NATS, the bridge) is real.
 */
describe('scheduler-bridge with one replica the engine cannot remove', () => {
  const docker = new Docker();
  const engine = new DockerEngine(docker);
  let nats: NatsServerHandle;
  let app: INestApplication;
  const refused = new Set<string>();
  let refusals = 0;

  const running = async () => (await engine.list({ cluster })).filter((r) => r.running);
  const progressed = async (): Promise<DeployProgressed | undefined> => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const m = await jsm.streams.getMessage('ORZO_DEPLOY', { last_by_subj: Subjects.DeployProgressed }).catch(() => null);
    if (!m) return undefined;
    const d = decodeEvent(Subjects.DeployProgressed, m.data);
    return d.ok ? (d.event.payload as DeployProgressed) : undefined;
  };

  before(async () => {
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: examples, tag: spec.image, buildargs: { VERSION: 'faults' } });
    nats = await startNatsServer();
    const ctx = prepareService(schedulerBridge, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-faults-')),
      ORZO_LOG_LEVEL: 'silent',
      ORZO_HTTP_PORT: '0',
      ORZO_SCHEDULER_CLUSTERS: cluster,
      // A long timer: what heals the instance here is the die event and the background retry.
      ORZO_RECONCILE_INTERVAL_MS: '60000',
      ORZO_DEPLOY_TIMEOUT_S: '60',
    });
    assert.ok(ctx);
    await schedulerBridge.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, schedulerBridge.module(ctx));
    await app.init();
    const bridgeEngine = app.get<Engines>(ENGINES).of(cluster);
    const remove = bridgeEngine.remove.bind(bridgeEngine);
    bridgeEngine.remove = async (id: string) => {
      if (refused.has(id)) {
        refusals++;
        throw new Error(BUSY);
      }
      return remove(id);
    };
  });
  after(async () => {
    await app?.close();
    for (const r of await engine.list({ cluster })) await engine.remove(r.id);
    await nats.dispose();
  });

  it('replaces it, keeps the healthy replicas serving, retries the removal in the background and reports it', async () => {
    await app.get(BusService).publish(Subjects.DeployRequested, {
      deployId: 'f1',
      service: 'hello',
      deployGroup: spec.deployGroup,
      specs: [spec],
      requestedBy: 'test',
      reason: 'test',
    });
    const first = await waitFor(async () => ((await running()).length === 3 ? running() : undefined), { timeoutMs: 60_000, what: '3 replicas' });
    const [victim, ...survivors] = first;
    refused.add(victim!.id);
    execFileSync('docker', ['kill', victim!.id]);

    const replaced = await waitFor(
      async () => {
        const rs = await running();
        return rs.length === 3 && !rs.some((r) => r.id === victim!.id) ? rs : undefined;
      },
      { timeoutMs: 30_000, what: 'a replacement of the replica that cannot be removed' },
    );
    // A replacement runs before its httpd listens: each must come to serve (docker-proxy resets until then).
    for (const r of replaced)
      await waitFor(async () => (await httpGet(`http://127.0.0.1:${r.hostPort}/status`).catch(() => ({ status: 0 }))).status === 200, {
        timeoutMs: 15_000,
        what: `replica ${r.name} to serve`,
      });
    for (const s of survivors)
      assert.ok(
        replaced.some((r) => r.id === s.id),
        `healthy replica ${s!.name} was left alone`,
      );
    assert.ok(
      (await engine.list({ cluster })).some((r) => r.id === victim!.id && !r.running),
      'the dead container is still there',
    );

    const reported = await waitFor(
      async () => {
        const p = await progressed();
        const problem = p?.problems.find((x) => x.replicaId === victim!.id);
        return problem && problem.attempts >= 2 ? { p: p!, problem } : undefined;
      },
      { timeoutMs: 30_000, what: 'deploy.progressed naming the removal retried at least twice' },
    );
    assert.equal(reported.problem.action, 'remove');
    assert.match(reported.problem.error, /device or resource busy/);
    assert.ok(Date.parse(reported.problem.nextRetryAt) > Date.parse(reported.problem.firstSeenAt));
    assert.equal(reported.p.phase, 'degraded');
    assert.equal(reported.p.desired, 3);
    assert.ok(refusals >= 2);

    // The engine lets go of it: the next background retry removes it and the problem is over.
    refused.clear();
    await waitFor(async () => !(await engine.list({ cluster })).some((r) => r.id === victim!.id), {
      timeoutMs: 30_000,
      what: 'the dead container removed by a background retry',
    });
    const resolved = await waitFor(
      async () => {
        const p = await progressed();
        return p?.phase === 'recovered' ? p : undefined;
      },
      { timeoutMs: 10_000, what: 'deploy.progressed saying the problem is resolved' },
    );
    assert.deepEqual(resolved.problems, []);
    assert.equal((await running()).length, 3);
  });
});
