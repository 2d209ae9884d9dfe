import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServiceError, status } from '@grpc/grpc-js';
import { BusService } from '@orzo/bus';
import { DeployRequested, Subjects, api, decodeEvent } from '@orzo/contracts';
import { NatsServerHandle, readStream, startNatsServer, waitFor } from '@orzo/testing';
import { ControlApiRig, callUnary, startControlApi } from './control-api-rig';

const SHA = 'd00dfeedd00dfeedd00dfeedd00dfeedd00dfeed';
const HELLO = { service: 'hello', cluster: 'local', instance: 'main' };
const NO_SET = { hasSet: false, set: 0, expireAfter: '', clear: false };

describe('control-api autoscale and restart overrides, on real NATS and SQLite: sent with every spec, persisted across a restart', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;

  before(async () => {
    nats = await startNatsServer();
    rig = await startControlApi(nats);
  });
  after(async () => {
    await rig?.close();
    await nats?.dispose();
  });

  const requested = async (): Promise<DeployRequested[]> =>
    (await readStream(rig.app.get(BusService).connection, 'ORZO_DEPLOY', Subjects.DeployRequested))
      .map((m) => decodeEvent(Subjects.DeployRequested, m.data))
      .flatMap((d) => (d.ok ? [d.event.payload as DeployRequested] : []));
  const autoscale = (req: Partial<api.AutoscaleRequest>) =>
    callUnary<api.AutoscaleRequest, api.AutoscaleResponse>(rig.client, 'autoscale', { ...HELLO, ...NO_SET, requestedBy: 'ann', ...req });
  const history = async () =>
    (await callUnary<api.GetHistoryRequest, api.GetHistoryResponse>(rig.client, 'getHistory', { service: 'hello', limit: 50 })).entries;

  it('shows the configured count and bounds, then sets an override before anything is marked, sending nothing', async () => {
    const shown = await autoscale({});
    assert.deepEqual([shown.configured, shown.current, shown.overridden, shown.minInstances, shown.maxInstances], [3, 3, false, 1, 100]);
    const set = await autoscale({ hasSet: true, set: 7 });
    assert.deepEqual([set.current, set.overridden, set.clamped, set.setBy], [7, true, false, rig.adminName]);
    assert.deepEqual(await requested(), [], 'nothing runs yet, nothing to send');
    const [line] = await history();
    assert.equal(line?.kind, 'scale');
    assert.equal(line?.actor, rig.adminName);
    assert.match(line!.detail, /local\.main: instances 3 -> 7/);
  });

  it('clamps to the bounds and says so', async () => {
    const clamped = await autoscale({ hasSet: true, set: 0 });
    assert.deepEqual([clamped.current, clamped.clamped, clamped.requested], [1, true, 0]);
    assert.match((await history())[0]!.detail, /instances 7 -> 1 \(asked 0, clamped to 1\.\.100/);
    await autoscale({ hasSet: true, set: 7 });
  });

  it('a mark carries the override; a restart sends the same version under the same deploy with a new restart token', async () => {
    const mark = await callUnary<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>(rig.client, 'markForDeployment', {
      service: 'hello',
      deployGroup: 'local.main',
      image: '',
      autoRollback: false,
      commitSha: SHA,
      requestedBy: 'bob',
    });
    const marked = await waitFor(async () => (await requested()).find((e) => e.deployId === mark.deployId));
    assert.equal(marked.specs[0]!.replicas, 7);
    assert.equal(marked.specs[0]!.forceBounce, '');
    const restarted = await callUnary<api.RestartInstanceRequest, api.RestartInstanceResponse>(rig.client, 'restartInstance', {
      ...HELLO,
      replicaId: '',
      requestedBy: 'carol',
    });
    assert.ok(restarted.forceBounce);
    const sent = await waitFor(async () => (await requested()).find((e) => e.specs[0]?.forceBounce === restarted.forceBounce));
    assert.equal(sent.deployId, mark.deployId, 'the same deploy: the pipeline goes on from it');
    assert.deepEqual([sent.specs.length, sent.specs[0]!.replicas, sent.specs[0]!.gitSha, sent.requestedBy], [1, 7, SHA, rig.adminName]);
    assert.equal((await history())[0]?.kind, 'restart');
    assert.equal((await history())[0]?.actor, rig.adminName);
    // The token outlives the next mark (which therefore restarts nothing).
    const again = await callUnary<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>(rig.client, 'markForDeployment', {
      service: 'hello',
      deployGroup: 'local.main',
      image: '',
      autoRollback: false,
      commitSha: SHA,
      requestedBy: 'bob',
    });
    const remarked = await waitFor(async () => (await requested()).find((e) => e.deployId === again.deployId));
    assert.equal(remarked.specs[0]!.forceBounce, restarted.forceBounce);
  });

  it('--clear sends the configured count again, keeping the restart token', async () => {
    const before = (await requested()).length;
    const cleared = await autoscale({ clear: true });
    assert.deepEqual([cleared.current, cleared.overridden], [3, false]);
    const sent = await waitFor(async () => (await requested()).slice(before)[0]);
    assert.equal(sent.specs[0]!.replicas, 3);
    assert.ok(sent.specs[0]!.forceBounce, 'the restart generation stays');
    assert.match((await history())[0]!.detail, /override 7 cleared; back to instances 3/);
    await autoscale({ hasSet: true, set: 7 });
  });

  it('refuses an unknown instance, a bad duration, and a replica restart without a bridge, changing nothing', async () => {
    const count = (await requested()).length;
    const lines = (await history()).length;
    const refused = (p: Promise<unknown>, code: status, message: RegExp) =>
      assert.rejects(p, (err: ServiceError) => (assert.equal(err.code, code, err.details), assert.match(err.details, message), true));
    await refused(
      autoscale({ instance: 'nope', hasSet: true, set: 2 }),
      status.NOT_FOUND,
      /hello has no instance "?nope"? on cluster "?local"?; it has: local.main/,
    );
    await refused(autoscale({ hasSet: true, set: 2, expireAfter: '3 hours' }), status.INVALID_ARGUMENT, /expire_after \(--for\) "?3 hours"? is not a duration/);
    await refused(autoscale({ clear: true, hasSet: true, set: 2 }), status.INVALID_ARGUMENT, /not both/);
    await refused(
      callUnary(rig.client, 'restartInstance', { ...HELLO, cluster: 'prod', replicaId: '', requestedBy: 'x' }),
      status.NOT_FOUND,
      /no instance "?main"? on cluster "?prod"?/,
    );
    await refused(callUnary(rig.client, 'restartInstance', { ...HELLO, replicaId: 'abc', requestedBy: 'x' }), status.UNAVAILABLE, /scheduler-bridge/);
    assert.equal((await requested()).length, count);
    assert.equal((await history()).length, lines);
  });

  it('an override set --for lapses back to the configured count, even when it expired while control-api was down', async () => {
    const set = await autoscale({ hasSet: true, set: 5, expireAfter: '1s' });
    assert.ok(set.expiresAt);
    const count = (await requested()).length;
    await rig.close();
    await new Promise((r) => setTimeout(r, 1_500));
    rig = await startControlApi(nats, { dataDir: rig.dataDir });
    const lapsed = await waitFor(async () => (await requested()).slice(count).find((e) => e.specs[0]?.replicas === 3), { timeoutMs: 15_000 });
    assert.equal(lapsed.requestedBy, 'orzo (expiry)');
    const shown = await autoscale({});
    assert.deepEqual([shown.current, shown.overridden], [3, false]);
    const expiry = (await history()).find((h) => h.actor === 'orzo (expiry)');
    assert.match(expiry!.detail, new RegExp(`override 5 set by ${rig.adminName} expired at .*; back to instances 3`));
  });
});
