import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { BusService } from '@orzo/bus';
import { DeployFailed, InstanceSpec, Rpcs, Subjects } from '@orzo/contracts';
import { NatsServerHandle, buildImage, ensureBusyboxBase, httpGet, startNatsServer, waitFor } from '@orzo/testing';
import { DockerEngine, ReplicaFilter } from '../src/docker-engine';
import { ENGINES, Engines } from '../src/engine/engines';
import { Reconciler } from '../src/reconcile/reconciler';
import { bootBridge, lastEvent as lastEventOf, requestDeploy } from './bridge-app';
import { helloSpec } from './hello-spec';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `rec-${process.pid}`;
const V1 = '1111111111111111111111111111111111111111';
const V2 = '2222222222222222222222222222222222222222';

function spec(version: string, over: Partial<InstanceSpec> = {}): InstanceSpec {
  return helloSpec(
    cluster,
    { image: `orzo-test/hello:${version.slice(0, 4)}`, gitSha: version, configHash: 'configaaaabbbb' },
    { registrations: ['hello.main'], ...over },
  );
}

describe('scheduler-bridge reconciling a real Docker Engine', () => {
  const docker = new Docker();
  const engine = new DockerEngine(docker);
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-sched-'));
  let nats: NatsServerHandle;
  let app: INestApplication;

  const boot = async () => {
    app = await bootBridge({
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: dataDir,
      ORZO_SCHEDULER_CLUSTERS: cluster,
      ORZO_RECONCILE_INTERVAL_MS: '1000',
      ORZO_DEPLOY_TIMEOUT_S: '60',
    });
  };
  const running = async () => (await engine.list({ cluster })).filter((r) => r.running);
  const lastEvent = (subject: string) => lastEventOf(app, subject);
  const deploy = (deployId: string, s: InstanceSpec) => requestDeploy(app, deployId, s);
  const converged = (version: string, deployId: string) =>
    waitFor(
      async () => {
        const rs = await running();
        const done = await lastEvent(Subjects.DeployCompleted);
        return rs.length === 3 && rs.every((r) => r.gitSha === version) && done?.deployId === deployId;
      },
      { timeoutMs: 60_000, what: `3 replicas of ${version.slice(0, 4)} and deploy ${deployId} completed` },
    );

  before(async () => {
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: examples, tag: 'orzo-test/hello:1111', buildargs: { VERSION: 'v1' } });
    await buildImage(docker, { context: examples, tag: 'orzo-test/hello:2222', buildargs: { VERSION: 'v2' } });
    nats = await startNatsServer();
    await boot();
  });
  after(async () => {
    await app?.close();
    for (const r of await engine.list({ cluster })) await engine.remove(r.id);
    await nats.dispose();
  });

  it('runs the desired replicas of a deploy.requested and reports the deploy completed', async () => {
    await deploy('d1', spec(V1));
    await converged(V1, 'd1');
    const started = await lastEvent(Subjects.InstanceStarted);
    assert.equal((started?.replica as { service: string }).service, 'hello');
  });

  it('replaces a replica killed or removed by hand', async () => {
    const [victim] = await running();
    execFileSync('docker', ['kill', victim!.id]);
    await waitFor(async () => (await running()).length === 3 && !(await running()).some((r) => r.id === victim!.id), {
      timeoutMs: 30_000,
      what: 'the killed replica to be replaced',
    });
    const [other] = await running();
    execFileSync('docker', ['rm', '-f', other!.id]);
    await waitFor(async () => (await running()).length === 3 && !(await running()).some((r) => r.id === other!.id), {
      timeoutMs: 30_000,
      what: 'the removed replica to be replaced',
    });
  });

  it('bounces to a new version: new replicas first, then the old ones go', async () => {
    await deploy('d2', spec(V2));
    await converged(V2, 'd2');
    const page = (await httpGet(`http://127.0.0.1:${(await running())[0]!.hostPort}/version`)).body;
    assert.equal(page.trim(), 'v2');
  });

  it('adopts what runs after its own restart instead of duplicating it', async () => {
    const before = (await running()).map((r) => r.id).sort();
    await app.close();
    await boot();
    await new Promise((r) => setTimeout(r, 2_500));
    assert.deepEqual((await running()).map((r) => r.id).sort(), before);
  });

  it('a pass over every instance lists its cluster once and leaves a settled instance alone', async () => {
    const bridgeEngine = app.get<Engines>(ENGINES).of(cluster);
    const surveys: ReplicaFilter[] = [];
    const survey = bridgeEngine.survey.bind(bridgeEngine);
    bridgeEngine.survey = (filter) => {
      surveys.push(filter ?? {});
      return survey(filter);
    };
    const before = (await running()).map((r) => r.id).sort();
    try {
      // The timer's passes run too; one pass of ours that found the instance settled is enough.
      await waitFor(
        async () => {
          surveys.length = 0;
          await app.get(Reconciler).requestAll();
          return surveys.length > 0 && surveys.every((f) => f.cluster === cluster && !f.instance && !f.service);
        },
        { timeoutMs: 20_000, what: 'a pass with one listing of the cluster and no survey of the instance alone' },
      );
    } finally {
      bridgeEngine.survey = survey;
    }
    assert.deepEqual((await running()).map((r) => r.id).sort(), before);
  });

  it('fails a deploy whose image does not exist, saying so, and keeps what runs', async () => {
    const before = (await running()).map((r) => r.id).sort();
    await deploy('d3', spec('3333333333333333333333333333333333333333'));
    const failed = await waitFor(
      async () => {
        const f = (await lastEvent(Subjects.DeployFailed)) as unknown as DeployFailed | undefined;
        return f?.deployId === 'd3' ? f : undefined;
      },
      { timeoutMs: 30_000, what: 'deploy.failed for d3' },
    );
    assert.match(failed.reason, /image orzo-test\/hello:3333 does not exist/);
    assert.deepEqual((await running()).map((r) => r.id).sort(), before, 'the old version keeps serving');
  });

  it('fails a deploy whose new replicas crash-loop without waiting for the timeout, and keeps what runs', async () => {
    const before = (await running()).map((r) => r.id).sort();
    await deploy('d4', spec('4444444444444444444444444444444444444444', { image: 'orzo-test/hello:1111', cmd: 'echo crashing; exit 3' }));
    const failed = await waitFor(
      async () => {
        const f = (await lastEvent(Subjects.DeployFailed)) as unknown as DeployFailed | undefined;
        return f?.deployId === 'd4' ? f : undefined;
      },
      { timeoutMs: 40_000, what: 'deploy.failed for d4 (the deploy timeout is 60s)' },
    );
    // At least ORZO_CRASHLOOP_EXITS (3): the first crash restarts at once (no backoff yet), so a
    // replacement may die too before the pass that counts the third.
    const exited = /^crash loop: (\d+) replicas of 44444444 exited before the deploy completed$/.exec(failed.reason);
    assert.ok(exited && Number(exited[1]) >= 3, failed.reason);
    assert.match(failed.detail, /exited with code 3/);
    // New replicas keep being tried (and crash) after the failure: only the old ones must stay.
    const old = (await running()).filter((r) => r.gitSha !== '4444444444444444444444444444444444444444');
    assert.deepEqual(old.map((r) => r.id).sort(), before, 'the old version keeps serving');
  });

  it('desiredState stop drains every replica and a stopped spec of a new version starts none; start runs it', async () => {
    await deploy('d5', spec(V2, { desiredState: 'stop' }));
    await waitFor(async () => (await engine.list({ cluster })).length === 0, { timeoutMs: 30_000, what: 'every replica stopped and removed' });
    await deploy('d6', spec(V1, { desiredState: 'stop' }));
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal((await engine.list({ cluster })).length, 0, 'a stopped instance stays stopped under a new version');
    await deploy('d7', spec(V1));
    await converged(V1, 'd7');
  });

  it("answers image-exists for its cluster from its engine, and no one answers for another cluster's", async () => {
    const ask = (c: string, image: string) => app.get(BusService).request(Rpcs.imageExists(c), { image }, { timeout: 5_000 });
    assert.deepEqual(await ask(cluster, 'orzo-test/hello:1111'), { exists: true });
    assert.deepEqual(await ask(cluster, 'orzo-test/hello:9999'), { exists: false });
    await assert.rejects(ask(`${cluster}-elsewhere`, 'orzo-test/hello:1111'), /no scheduler-bridge is listening on .*\(no responders\)/);
  });
});
