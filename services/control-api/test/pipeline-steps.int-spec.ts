import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { DeployRequested, PipelineStepRequested, Subjects, api, decodeEvent } from '@orzo/contracts';
import { NatsServerHandle, SoaCopy, copySoaConfigs, readStream, startNatsServer, waitFor } from '@orzo/testing';
import { callUnary, startControlApi } from './control-api-rig';

const S1 = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const S2 = 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2';

// One instance per deploy group, so every mark of the pipeline shows as its own deploy.requested.
const INSTANCES = `_defaults: &defaults
  cpus: 0.1
  mem: 64
  container_port: 8080
${['main', 'skipped', 'east', 'west', 'canary', 'last'].map((g) => `${g}:\n  <<: *defaults\n  instances: 1\n  deploy_group: local.${g}\n`).join('')}`;

const DEPLOY_YAML = `pipeline:
  - step: local.main
  - step: local.skipped
    disabled: true
  - parallel:
      - step: local.east
      - step: local.west
  - step: local.canary
    wait_for_deployment: false
  - step: local.last
`;

describe('deploy.yaml step semantics (disabled, parallel, wait_for_deployment, timeout) in control-api, on real NATS and SQLite', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let client: api.ControlApiClient;
  let soa: SoaCopy;
  let service: string;

  before(async () => {
    nats = await startNatsServer();
    soa = await copySoaConfigs({ files: { 'kubernetes-local.yaml': INSTANCES, 'deploy.yaml': DEPLOY_YAML } });
    service = soa.service;
    ({ app, client } = await startControlApi(nats, { env: { ORZO_SOA_DIR: soa.dir, ORZO_PIPELINE_TICK_MS: '100' } }));
  });
  after(async () => {
    client?.close();
    await app?.close();
    await nats?.dispose();
    rmSync(soa.dir, { recursive: true, force: true });
  });

  const bus = () => app.get(BusService);
  const requested = async (sha: string): Promise<DeployRequested[]> =>
    (await readStream(bus().connection, 'ORZO_DEPLOY', Subjects.DeployRequested))
      .map((m) => decodeEvent(Subjects.DeployRequested, m.data))
      .flatMap((d) => (d.ok ? [d.event.payload as DeployRequested] : []))
      .filter((d) => d.specs[0]?.gitSha === sha);
  const groups = async (sha: string) => (await requested(sha)).map((d) => d.deployGroup);
  const history = async () => (await callUnary<api.GetHistoryRequest, api.GetHistoryResponse>(client, 'getHistory', { service, limit: 200 })).entries;
  const built = (sha: string) =>
    bus().publish(Subjects.BuildImageBuilt, {
      buildId: randomUUID(),
      service,
      commitSha: sha,
      image: `services-${service}:orzo-${sha}`,
      imageId: 'sha256:1',
      digest: '',
      external: true,
      skipPipeline: false,
    });
  const complete = async (sha: string, group: string) => {
    const d = (await requested(sha)).find((r) => r.deployGroup === group);
    assert.ok(d, `${group} was marked at ${sha}`);
    const spec = d.specs[0]!;
    await bus().publish(Subjects.DeployCompleted, {
      deployId: d.deployId,
      service,
      instance: spec.instance,
      cluster: spec.cluster,
      image: spec.image,
      gitSha: sha,
      configHash: spec.configHash,
    });
  };
  /** Lets the pipeline act on what was published (nothing more must happen in that time). */
  const settle = () => new Promise((r) => setTimeout(r, 700));

  it('skips disabled steps, marks a parallel block together and waits for all of it, and does not wait for wait_for_deployment: false', async () => {
    await built(S1);
    await waitFor(async () => ((await groups(S1)).length ? true : undefined));
    await settle();
    assert.deepEqual(await groups(S1), ['local.main']);

    await complete(S1, 'local.main');
    await waitFor(async () => ((await groups(S1)).length === 3 ? true : undefined));
    await settle();
    assert.deepEqual(
      (await groups(S1)).sort(),
      ['local.east', 'local.main', 'local.west'],
      'the disabled step is not deployed; both parallel steps are marked at once',
    );
    const skip = (await history()).find((e) => e.kind === 'skip' && e.deployGroup === 'local.skipped');
    assert.match(skip?.detail ?? '', /disabled: true in deploy.yaml \(not deployed\)/);

    await complete(S1, 'local.west');
    await settle();
    assert.equal((await groups(S1)).length, 3, 'one parallel step done: the pipeline still waits for the other');

    await complete(S1, 'local.east');
    // local.canary does not wait for its deploy: local.last is marked right after it.
    await waitFor(async () => ((await groups(S1)).includes('local.last') ? true : undefined));
    assert.deepEqual((await groups(S1)).slice(3), ['local.canary', 'local.last']);
    await complete(S1, 'local.last');
    await waitFor(async () => ((await history()).some((e) => e.kind === 'done' && e.gitSha === S1) ? true : undefined));
    await complete(S1, 'local.canary');
    await settle();
    assert.equal((await requested(S1)).length, 5, 'the late completion of a step that did not wait moves nothing');
    assert.deepEqual(
      (await history())
        .filter((e) => e.gitSha === S1)
        .reverse()
        .map((e) => `${e.kind} ${e.deployGroup}`),
      ['build ', 'promote local.main', 'skip local.skipped', 'promote local.east', 'promote local.west', 'promote local.canary', 'promote local.last', 'done '],
    );
  });

  it('fails the pipeline when a deploy does not complete within its step timeout, and rolls back when the step says auto_rollback', async () => {
    writeFileSync(
      join(soa.dir, service, 'deploy.yaml'),
      DEPLOY_YAML.replace('- step: local.main', '- step: local.main\n    timeout: 1\n    auto_rollback: true'),
    );
    await built(S2);
    const marked = await waitFor(async () => (await requested(S2)).find((d) => d.deployGroup === 'local.main'));
    const failed = await waitFor(async () => (await history()).find((e) => e.kind === 'failed' && e.gitSha === S2));
    assert.equal(failed.deployGroup, 'local.main');
    assert.match(
      failed.detail,
      new RegExp(
        `deploy ${marked.deployId} of local.main timed out: not deployed within the deploy.yaml timeout of 1s \\(still converging: local.main\\); the pipeline does not go on`,
      ),
    );
    const back = await waitFor(async () => {
      const l = await callUnary<api.GetLatestDeploymentRequest, api.GetLatestDeploymentResponse>(client, 'getLatestDeployment', {
        service,
        deployGroup: 'local.main',
      });
      return l.reason === 'auto-rollback' ? l : undefined;
    });
    assert.equal(back.gitSha, S1, 'auto_rollback went back to the previous version');
    // The deploy converging after its timeout moves nothing on.
    await complete(S2, 'local.main');
    await settle();
    assert.deepEqual(await groups(S2), ['local.main']);
    assert.equal((await history()).filter((e) => e.kind === 'failed' && e.gitSha === S2).length, 1, 'timed out once');
  });

  it('runs a non-deploy step after a deploy group on a builder and goes on when it passes; stops when it fails, unless ignore_failure', async () => {
    // Every deploy group of the instances stays in deploy.yaml (a group without a step is a config error).
    const OTHERS = ['skipped', 'east', 'west', 'canary'].map((g) => `  - step: local.${g}\n    disabled: true\n`).join('');
    const S3 = 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3';
    const S4 = 'd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4';
    writeFileSync(
      join(soa.dir, service, 'deploy.yaml'),
      `pipeline:\n  - step: local.main\n  - step: performance-check\n    command: ./perf.sh\n  - step: local.last\n${OTHERS}`,
    );
    const stepRequests = async () =>
      (await readStream(bus().connection, 'ORZO_BUILD', Subjects.BuildStepRequested))
        .map((m) => decodeEvent(Subjects.BuildStepRequested, m.data))
        .flatMap((d) => (d.ok ? [d.event.payload as PipelineStepRequested] : []));
    const finish = (r: PipelineStepRequested, ok: boolean) =>
      bus().publish(Subjects.BuildStepFinished, { ...r, ok, detail: `./perf.sh exited with ${ok ? 0 : 1}` });

    await built(S3);
    await waitFor(async () => ((await groups(S3)).length ? true : undefined));
    await complete(S3, 'local.main');
    const asked = await waitFor(async () => (await stepRequests()).find((r) => r.commitSha === S3));
    assert.deepEqual([asked.step, asked.command, asked.stepIndex, asked.image], ['performance-check', './perf.sh', 1, `services-${service}:orzo-${S3}`]);
    await settle();
    assert.deepEqual(await groups(S3), ['local.main'], 'the next group waits for the step');
    await finish(asked, true);
    await finish(asked, true);
    await waitFor(async () => ((await groups(S3)).includes('local.last') ? true : undefined));
    await settle();
    assert.deepEqual(await groups(S3), ['local.main', 'local.last'], 'a redelivered step-finished promotes once');

    await built(S4);
    await waitFor(async () => ((await groups(S4)).length ? true : undefined));
    await complete(S4, 'local.main');
    const asked4 = await waitFor(async () => (await stepRequests()).find((r) => r.commitSha === S4));
    await finish(asked4, false);
    const failed = await waitFor(async () => (await history()).find((e) => e.kind === 'failed' && e.gitSha === S4));
    assert.equal(failed.detail, 'performance-check failed: ./perf.sh exited with 1; the pipeline does not go on');
    await settle();
    assert.deepEqual(await groups(S4), ['local.main']);

    writeFileSync(
      join(soa.dir, service, 'deploy.yaml'),
      `pipeline:\n  - step: local.main\n  - step: performance-check\n    command: ./perf.sh\n    ignore_failure: true\n  - step: local.last\n${OTHERS}`,
    );
    const S5 = 'e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5';
    await built(S5);
    await waitFor(async () => ((await groups(S5)).length ? true : undefined));
    await complete(S5, 'local.main');
    const asked5 = await waitFor(async () => (await stepRequests()).find((r) => r.commitSha === S5));
    await finish(asked5, false);
    await waitFor(async () => ((await groups(S5)).includes('local.last') ? true : undefined));
    assert.match(
      (await history()).find((e) => e.kind === 'step' && e.gitSha === S5 && /ignore_failure/.test(e.detail))?.detail ?? '',
      /failed \(ignore_failure: the pipeline goes on\)/,
    );
  });
});
