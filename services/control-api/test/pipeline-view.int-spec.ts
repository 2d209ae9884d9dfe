import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { DeployRequested, Subjects, api, decodeEvent } from '@orzo/contracts';
import { NatsServerHandle, SoaCopy, copySoaConfigs, readStream, startNatsServer, waitFor } from '@orzo/testing';
import { callUnary, startControlApi } from './control-api-rig';

const S1 = 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3';

const INSTANCES = `${['canary', 'prod'].map((g) => `${g}:\n  cpus: 0.1\n  mem: 64\n  container_port: 8080\n  instances: 1\n  deploy_group: local.${g}\n`).join('')}`;

const DEPLOY_YAML = `pipeline:
  - step: itest
  - step: local.canary
    trigger_next_step_manually: true
  - step: local.prod
`;

describe('GetPipeline: the dashboard sees where each version is and what waits at a manual gate, on real NATS and SQLite', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let client: api.ControlApiClient;
  let soa: SoaCopy;

  before(async () => {
    nats = await startNatsServer();
    soa = await copySoaConfigs({ files: { 'kubernetes-local.yaml': INSTANCES, 'deploy.yaml': DEPLOY_YAML } });
    ({ app, client } = await startControlApi(nats, { env: { ORZO_SOA_DIR: soa.dir, ORZO_PIPELINE_TICK_MS: '100' } }));
  });
  after(async () => {
    client?.close();
    await app?.close();
    await nats?.dispose();
    rmSync(soa.dir, { recursive: true, force: true });
  });

  const pipeline = async () => (await callUnary<api.GetPipelineRequest, api.GetPipelineResponse>(client, 'getPipeline', { service: soa.service })).steps;
  const requested = async (): Promise<DeployRequested[]> =>
    (await readStream(app.get(BusService).connection, 'ORZO_DEPLOY', Subjects.DeployRequested))
      .map((m) => decodeEvent(Subjects.DeployRequested, m.data))
      .flatMap((d) => (d.ok ? [d.event.payload as DeployRequested] : []));

  it('shows the canary at the built version, then the version waiting before prod once the canary deployed', async () => {
    const before = await pipeline();
    assert.deepEqual(
      before.map((s) => [s.step, s.deployGroup, s.triggerNextStepManually, s.current?.gitSha ?? '', s.waitingGitSha]),
      [
        ['itest', false, false, '', ''],
        ['local.canary', true, true, '', ''],
        ['local.prod', true, false, '', ''],
      ],
    );

    const bus = app.get(BusService);
    await bus.publish(Subjects.BuildImageBuilt, {
      buildId: randomUUID(),
      service: soa.service,
      commitSha: S1,
      image: `services-${soa.service}:orzo-${S1}`,
      imageId: 'sha256:1',
      digest: '',
      external: true,
      skipPipeline: false,
    });
    const canary = await waitFor(async () => (await requested()).find((d) => d.service === soa.service && d.deployGroup === 'local.canary'));
    const marked = await pipeline();
    assert.equal(marked[1]!.current?.gitSha, S1);
    assert.equal(marked[1]!.current?.outcome, 'requested');
    assert.equal(marked[2]!.waitingGitSha, '', 'nothing waits before prod while the canary deploys');

    const spec = canary.specs[0]!;
    await bus.publish(Subjects.DeployCompleted, {
      deployId: canary.deployId,
      service: soa.service,
      instance: spec.instance,
      cluster: spec.cluster,
      image: spec.image,
      gitSha: S1,
      configHash: spec.configHash,
    });
    const waiting = await waitFor(async () => {
      const steps = await pipeline();
      return steps[2]!.waitingGitSha ? steps : undefined;
    });
    assert.equal(waiting[1]!.current?.outcome, 'completed');
    assert.equal(waiting[2]!.waitingGitSha, S1, 'the canary version waits at the manual gate before prod');
    assert.ok(waiting[2]!.waitingSince);
    assert.equal(waiting[2]!.current, undefined, 'prod was never marked');
  });
});
