import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { ServiceError, status } from '@grpc/grpc-js';
import { BusService } from '@orzo/bus';
import { DeployRequested, Subjects, api, decodeEvent } from '@orzo/contracts';
import { NatsServerHandle, SoaCopy, copySoaConfigs, readStream, startNatsServer, waitFor } from '@orzo/testing';
import { callUnary, startControlApi } from './control-api-rig';

const V1 = '1111111111111111111111111111111111111111';
const V2 = '2222222222222222222222222222222222222222';
const V3 = '3333333333333333333333333333333333333333';
const V4 = '4444444444444444444444444444444444444444';

// Two deploy groups: local.main (the instance) and local.next (none), so a promotion shows.
const DEPLOY_YAML = `pipeline:
  - step: local.main
  - step: local.next
`;

describe('rollback, auto-rollback, stop and start in control-api, on real NATS and SQLite', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let client: api.ControlApiClient;
  let adminName: string;
  let soa: SoaCopy;

  before(async () => {
    nats = await startNatsServer();
    soa = await copySoaConfigs({ service: 'hello', files: { 'deploy.yaml': DEPLOY_YAML } });
    ({ app, client, adminName } = await startControlApi(nats, { env: { ORZO_SOA_DIR: soa.dir } }));
  });
  after(async () => {
    client?.close();
    await app?.close();
    await nats?.dispose();
    rmSync(soa.dir, { recursive: true, force: true });
  });

  const call = <Req, Res>(method: Parameters<typeof callUnary>[1], req: Req) => callUnary<Req, Res>(client, method, req);
  const bus = () => app.get(BusService);
  const requested = async (): Promise<DeployRequested[]> =>
    (await readStream(bus().connection, 'ORZO_DEPLOY', Subjects.DeployRequested))
      .map((m) => decodeEvent(Subjects.DeployRequested, m.data))
      .flatMap((d) => (d.ok ? [d.event.payload as DeployRequested] : []));
  const mark = (commitSha: string, requestedBy: string, autoRollback = false) =>
    call<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>('markForDeployment', {
      service: 'hello',
      deployGroup: 'local.main',
      image: '',
      commitSha,
      requestedBy,
      autoRollback,
    });
  const latest = () =>
    call<api.GetLatestDeploymentRequest, api.GetLatestDeploymentResponse>('getLatestDeployment', { service: 'hello', deployGroup: 'local.main' });
  const history = () => call<api.GetHistoryRequest, api.GetHistoryResponse>('getHistory', { service: 'hello', limit: 200 });
  const rejects = (p: Promise<unknown>, code: status, message: RegExp) =>
    assert.rejects(p, (err: ServiceError) => {
      assert.equal(err.code, code, err.details);
      assert.match(err.details, message);
      return true;
    });
  const completed = (deployId: string, gitSha: string) =>
    bus().publish(Subjects.DeployCompleted, {
      deployId,
      service: 'hello',
      instance: 'main',
      cluster: 'local',
      image: `services-hello:orzo-${gitSha}`,
      gitSha,
      configHash: 'x',
    });
  const failed = (deployId: string, instance = 'main') =>
    bus().publish(Subjects.DeployFailed, {
      deployId,
      service: 'hello',
      instance,
      cluster: 'local',
      reason: 'not converged after 20s',
      detail: 'replica r1: HTTP 404',
    });

  it('rolls back to the previous version with its image, marks the bad sha, records who asked, and does not promote onward', async () => {
    const good = await mark(V1, 'alice');
    await mark(V2, 'bob');
    const res = await call<api.RollbackRequest, api.RollbackResponse>('rollback', {
      service: 'hello',
      deployGroup: 'local.main',
      commitSha: '',
      requestedBy: 'carol',
    });
    assert.deepEqual([res.gitSha, res.rolledBackFrom, res.image, res.instances], [V1, V2, `services-hello:orzo-${V1}`, ['local.main']]);
    assert.deepEqual(
      res.recent.map((d) => [d.gitSha, d.reason, d.current, d.rolledBack]),
      [
        [V1, 'rollback', true, false],
        [V2, 'mark-for-deployment', false, true],
        [V1, 'mark-for-deployment', false, false],
      ],
    );
    const event = await waitFor(async () => (await requested()).find((d) => d.deployId === res.deployId));
    assert.deepEqual([event.reason, event.requestedBy, event.specs[0]!.gitSha, event.specs[0]!.desiredState], ['rollback', adminName, V1, 'start']);
    assert.deepEqual([(await latest()).gitSha, (await latest()).requestedBy], [V1, adminName]);
    const h = await history();
    assert.deepEqual(
      h.rollbacks.map((r) => [r.deployGroup, r.badGitSha, r.toGitSha, r.requestedBy, r.reason]),
      [['local.main', V2, V1, adminName, 'manual']],
    );
    const line = h.entries.find((e) => e.kind === 'rollback')!;
    assert.equal(line.actor, adminName);
    assert.match(line.detail, /rollback from 222222222222 \(manual\); 222222222222 is marked bad/);

    // The rollback's completion finishes it; local.next is not marked with it.
    await completed(res.deployId, V1);
    await waitFor(async () => (await history()).entries.some((e) => e.kind === 'done' && /rollback to 111111111111 is deployed/.test(e.detail)));
    assert.ok(!(await requested()).some((d) => d.deployGroup === 'local.next'), 'a rollback never promotes onward');
    // The contrast: a mark's completion promotes to local.next.
    await completed(good.deployId, V1);
    await waitFor(async () => (await history()).entries.some((e) => e.kind === 'promote' && e.deployGroup === 'local.next'));
  });

  it('does not redeploy a rolled-back sha when a build of it is announced again', async () => {
    const before = (await requested()).length;
    await bus().publish(Subjects.BuildImageBuilt, {
      buildId: randomUUID(),
      service: 'hello',
      commitSha: V2,
      image: `services-hello:orzo-${V2}`,
      imageId: 'sha256:2',
      digest: '',
      external: true,
      skipPipeline: false,
    });
    const blocked = await waitFor(async () => (await history()).entries.find((e) => e.kind === 'blocked' && e.gitSha === V2));
    assert.match(blocked.detail, new RegExp(`not deployed: 222222222222 was rolled back from local.main by ${adminName}`));
    assert.equal((await requested()).length, before);
    assert.equal((await latest()).gitSha, V1);
  });

  it('refuses a rollback of an unknown service, group or version, or to the current one, and changes nothing', async () => {
    const before = [(await requested()).length, (await history()).entries.length];
    const rb = (service: string, deployGroup: string, commitSha = '') => call('rollback', { service, deployGroup, commitSha, requestedBy: 'x' });
    await rejects(rb('nosuch', 'local.main'), status.NOT_FOUND, /unknown service nosuch/);
    await rejects(rb('hello', 'prod.main'), status.NOT_FOUND, /unknown deploy group prod.main of hello; its deploy.yaml pipeline has: local.main, local.next/);
    await rejects(
      rb('hello', 'local.main', 'abcdef0'),
      status.NOT_FOUND,
      /abcdef0 is not among the recent versions of hello deploy group local.main: 111111111111, 222222222222/,
    );
    await rejects(rb('hello', 'local.main', V1.slice(0, 7)), status.FAILED_PRECONDITION, /already the desired version/);
    await rejects(rb('hello', 'local.main', 'xyz'), status.INVALID_ARGUMENT, /not a hex git sha/);
    await rejects(rb('', ''), status.INVALID_ARGUMENT, /service is required; deploy_group is required/);
    await rejects(call('listDeployments', { service: 'hello', deployGroup: 'nope', limit: 0 }), status.NOT_FOUND, /unknown deploy group nope/);
    assert.deepEqual([(await requested()).length, (await history()).entries.length], before);
  });

  it('auto-rolls back a failed deploy that asked for it, once, saying why; a deploy that did not ask stays', async () => {
    const plain = await mark(V3, 'dave');
    await failed(plain.deployId);
    await waitFor(async () => (await history()).entries.some((e) => e.kind === 'failed' && e.gitSha === V3));
    assert.equal((await latest()).gitSha, V3, 'no auto_rollback asked: the failed version stays desired');
    const deployments = await call<api.ListDeploymentsRequest, api.ListDeploymentsResponse>('listDeployments', {
      service: 'hello',
      deployGroup: 'local.main',
      limit: 1,
    });
    assert.deepEqual(
      [deployments.deployments[0]!.outcome, deployments.deployments[0]!.failures],
      ['failed', ['local.main: not converged after 20s (replica r1: HTTP 404)']],
    );

    const risky = await mark(V4, 'erin', true);
    await failed(risky.deployId);
    await failed(risky.deployId, 'other');
    const back = await waitFor(async () => {
      const l = await latest();
      return l.reason === 'auto-rollback' ? l : undefined;
    });
    assert.deepEqual([back.gitSha, back.requestedBy], [V3, 'auto-rollback'], 'back to the previous version (V3 was not rolled back)');
    const h = await history();
    const rollback = h.rollbacks[0]!;
    assert.deepEqual([rollback.badGitSha, rollback.toGitSha, rollback.requestedBy], [V4, V3, 'auto-rollback']);
    assert.match(rollback.reason, /^auto: deploy .* failed on local.main: not converged after 20s \(replica r1: HTTP 404\)$/);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await history()).rollbacks.length, 2, 'the second failed instance rolled back nothing more');
  });

  it('auto-rolls back a pipeline deploy of a step with auto_rollback: true', async () => {
    writeFileSync(join(soa.dir, 'hello', 'deploy.yaml'), DEPLOY_YAML.replace('- step: local.main', '- step: local.main\n    auto_rollback: true'));
    const sha = '5555555555555555555555555555555555555555';
    const firstAuto = (await latest()).deployId;
    await bus().publish(Subjects.BuildImageBuilt, {
      buildId: randomUUID(),
      service: 'hello',
      commitSha: sha,
      image: `services-hello:orzo-${sha}`,
      imageId: 'sha256:5',
      digest: '',
      external: true,
      skipPipeline: false,
    });
    const promoted = await waitFor(async () => (await requested()).find((d) => d.specs[0]?.gitSha === sha));
    await failed(promoted.deployId);
    const back = await waitFor(async () => {
      const l = await latest();
      return l.reason === 'auto-rollback' && l.deployId !== firstAuto ? l : undefined;
    });
    assert.equal(back.gitSha, V3);
    assert.equal((await history()).rollbacks[0]!.badGitSha, sha);
  });

  it('stop drains the instance and outlasts later marks until start, which brings it back at the current version', async () => {
    const ctl = (method: 'stopInstance' | 'startInstance', instance = 'main', cluster = 'local') =>
      call<api.InstanceControlRequest, api.InstanceControlResponse>(method, { service: 'hello', cluster, instance, requestedBy: 'frank' });
    // Only stop requests count: an earlier test's auto-rollback may still publish deploys meanwhile.
    const stops = async () => (await requested()).filter((d) => d.reason === 'stop' || d.specs.some((sp) => sp.desiredState === 'stop')).length;
    const before = await stops();
    await rejects(ctl('stopInstance', 'nosuch'), status.NOT_FOUND, /hello has no instance nosuch on cluster local; it has: local.main/);
    await rejects(ctl('stopInstance', 'main', 'mars'), status.NOT_FOUND, /no instance main on cluster mars/);
    await rejects(call('stopInstance', { service: 'nosuch', cluster: 'local', instance: 'main', requestedBy: '' }), status.NOT_FOUND, /unknown service/);
    assert.equal(await stops(), before, 'refusals publish nothing');

    const stopped = await ctl('stopInstance');
    assert.equal(stopped.desiredState, 'stop');
    const stopEvent = await waitFor(async () => (await requested()).find((d) => d.deployId === stopped.deployId));
    assert.deepEqual([stopEvent.reason, stopEvent.requestedBy, stopEvent.specs[0]!.desiredState, stopEvent.specs[0]!.gitSha], ['stop', adminName, 'stop', V3]);
    const status1 = await call<api.GetStatusRequest, api.GetStatusResponse>('getStatus', { service: 'hello', cluster: '', instance: '' });
    assert.equal(status1.instances[0]!.state, 'Stopped');
    assert.match((await ctl('stopInstance')).message, /already stopped/);

    const marked = await mark(V1, 'gina');
    assert.deepEqual(marked.stoppedInstances, ['local.main']);
    const markEvent = await waitFor(async () => (await requested()).find((d) => d.deployId === marked.deployId));
    assert.deepEqual([markEvent.specs[0]!.gitSha, markEvent.specs[0]!.desiredState], [V1, 'stop'], 'the new version is sent, stopped');
    assert.match((await history()).entries.find((e) => e.kind === 'mark' && e.gitSha === V1)!.detail, /local.main stopped \(orzo stop\)/);

    const started = await ctl('startInstance');
    assert.match(started.message, /local.main started at 111111111111/);
    const startEvent = await waitFor(async () => (await requested()).find((d) => d.deployId === started.deployId));
    assert.deepEqual([startEvent.specs[0]!.desiredState, startEvent.specs[0]!.gitSha], ['start', V1]);
    const status2 = await call<api.GetStatusRequest, api.GetStatusResponse>('getStatus', { service: 'hello', cluster: '', instance: '' });
    assert.notEqual(status2.instances[0]!.state, 'Stopped');
    const kinds = (await history()).entries.filter((e) => e.kind === 'start' || e.kind === 'stop').map((e) => `${e.kind} by ${e.actor}`);
    assert.deepEqual(kinds, [`start by ${adminName}`, `stop by ${adminName}`]);
  });
});
