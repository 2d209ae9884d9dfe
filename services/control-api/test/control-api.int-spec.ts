import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { ServiceError, status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { DeployRequested, Subjects, api, createEnvelope, decodeEvent, encodeEvent } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { NatsServerHandle, startNatsServer, waitFor } from '@orzo/testing';
import { callUnary, startControlApi } from './control-api-rig';

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

const call = callUnary;

describe('control-api over gRPC, on real NATS and SQLite', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let client: api.ControlApiClient;
  let adminName: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-control-'));

  const boot = async () => {
    client?.close();
    ({ app, client, adminName } = await startControlApi(nats, { dataDir }));
  };
  const deployMessages = async () => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    return (await jsm.streams.info('ORZO_DEPLOY')).state.messages;
  };
  const lastDeployRequested = async (): Promise<DeployRequested> => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const m = await jsm.streams.getMessage('ORZO_DEPLOY', { last_by_subj: Subjects.DeployRequested });
    const decoded = decodeEvent(Subjects.DeployRequested, m!.data);
    assert.ok(decoded.ok);
    return decoded.event.payload as DeployRequested;
  };
  const history = async () =>
    app
      .get(DatabaseHolder)
      .database.em()
      .execute<Array<{ image: string; git_sha: string; requested_by: string }>>(
        'select image, git_sha, requested_by from control_deploy_mark order by created_at',
      );

  before(async () => {
    nats = await startNatsServer();
    await boot();
  });
  after(async () => {
    client?.close();
    await app?.close();
    await nats.dispose();
  });

  it('marks a commit: records it and publishes deploy.requested with the complete spec', async () => {
    const res = await call<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>(client, 'markForDeployment', {
      service: 'hello',
      deployGroup: 'local.main',
      image: '',
      commitSha: SHA,
      // Claimed by the body, ignored: the actor is the token's name.
      requestedBy: 'alice',
      autoRollback: false,
    });
    assert.equal(res.image, `services-hello:orzo-${SHA}`);
    assert.deepEqual(res.instances, ['local.main']);
    const event = await waitFor(async () => {
      const e = await lastDeployRequested().catch(() => undefined);
      return e?.deployId === res.deployId ? e : undefined;
    });
    assert.equal(event.specs.length, 1);
    const spec = event.specs[0]!;
    assert.deepEqual(
      [spec.service, spec.instance, spec.cluster, spec.replicas, spec.image, spec.gitSha, spec.containerPort],
      ['hello', 'main', 'local', 3, res.image, SHA, 8080],
    );
    assert.deepEqual(spec.registrations, ['hello.main']);
    assert.equal(spec.healthcheck!.mode, 'http');
    assert.equal(spec.env.ORZO_GIT_SHA, SHA);
    assert.match(spec.configHash, /^config[0-9a-f]{8}$/);
    assert.deepEqual(await history(), [{ image: res.image, git_sha: SHA, requested_by: adminName }]);
  });

  it('refuses bad requests with a clear gRPC status and changes nothing', async () => {
    const before = [await deployMessages(), (await history()).length];
    const cases: Array<[api.MarkForDeploymentRequest, status, RegExp]> = [
      [
        { service: 'nosuch', deployGroup: 'local.main', image: '', commitSha: SHA, requestedBy: '', autoRollback: false },
        status.NOT_FOUND,
        /unknown service nosuch/,
      ],
      [
        { service: 'helo', deployGroup: 'local.main', image: '', commitSha: SHA, requestedBy: '', autoRollback: false },
        status.NOT_FOUND,
        /did you mean hello\?/,
      ],
      [
        { service: 'hello', deployGroup: 'prod.main', image: '', commitSha: SHA, requestedBy: '', autoRollback: false },
        status.NOT_FOUND,
        /unknown deploy group prod.main of hello; its deploy.yaml pipeline has: local.main/,
      ],
      [
        { service: '', deployGroup: '', image: '', commitSha: '', requestedBy: '', autoRollback: false },
        status.INVALID_ARGUMENT,
        /service is required; deploy_group is required; one of image or commit_sha is required/,
      ],
      [
        { service: 'hello', deployGroup: 'local.main', image: 'x:1', commitSha: SHA, requestedBy: '', autoRollback: false },
        status.INVALID_ARGUMENT,
        /not both/,
      ],
      [
        { service: 'hello', deployGroup: 'local.main', image: '', commitSha: 'not-a-sha', requestedBy: '', autoRollback: false },
        status.INVALID_ARGUMENT,
        /not a hex git sha/,
      ],
    ];
    for (const [req, code, message] of cases) {
      await assert.rejects(call(client, 'markForDeployment', req), (err: ServiceError) => {
        assert.equal(err.code, code, `${JSON.stringify(req)}: ${err.details}`);
        assert.match(err.details, message);
        return true;
      });
    }
    assert.deepEqual([await deployMessages(), (await history()).length], before);
  });

  it('publishes after a restart what was recorded but not yet published, and nothing twice', async () => {
    const envelope = createEnvelope(Subjects.DeployRequested, { source: 'control-api' });
    const payload: DeployRequested = {
      deployId: 'crashed-before-publish',
      service: 'hello',
      deployGroup: 'local.main',
      specs: (await lastDeployRequested()).specs,
      requestedBy: 'bob',
      reason: 'test',
    };
    await app
      .get(DatabaseHolder)
      .database.em()
      .execute('insert into control_outbox (id, subject, body, created_at) values (?, ?, ?, ?)', [
        envelope.id,
        envelope.type,
        Buffer.from(encodeEvent(envelope, payload)).toString(),
        new Date().toISOString(),
      ]);
    const before = await deployMessages();
    await app.close();
    await boot();
    assert.equal(await deployMessages(), before + 1, 'the pending event went out at boot');
    assert.equal((await lastDeployRequested()).deployId, 'crashed-before-publish');
    await app.close();
    await boot();
    assert.equal(await deployMessages(), before + 1, 'a second restart publishes nothing again');
  });

  it('answers GetStatus from the marks and the instance events, and ListServices from soa-configs', async () => {
    const bus = app.get(BusService);
    const mk = (n: number) => ({
      service: 'hello',
      instance: 'main',
      cluster: 'local',
      replicaId: `c${n}`,
      // Replicas on two nodes: status shows each one's host (node IP) as the events carry it.
      host: `10.20.0.${(n % 2) + 1}`,
      port: 31000 + n,
      gitSha: SHA,
      configHash: 'configabc',
      forceBounce: '',
    });
    for (let n = 0; n < 3; n++) {
      await bus.publish(Subjects.InstanceStarted, { replica: mk(n), image: `services-hello:orzo-${SHA}`, registrations: ['hello.main'] });
      await bus.publish(Subjects.InstanceHealthy, { replica: mk(n), checkOutput: 'HTTP 200', registrations: ['hello.main'] });
    }
    const st = await waitFor(
      async () => {
        const s = await call<api.GetStatusRequest, api.GetStatusResponse>(client, 'getStatus', { service: 'hello', cluster: '', instance: '' });
        return s.instances[0]?.healthyReplicas === 3 ? s : undefined;
      },
      { what: 'three healthy replicas in status' },
    );
    const main = st.instances[0]!;
    assert.deepEqual(
      [main.state, main.desiredGitSha, main.desiredReplicas, main.replicas.length, main.endpoints],
      ['Running', SHA, 3, 3, ['hello.main 127.0.0.1:20001']],
    );
    assert.deepEqual(main.replicas.map((r) => `${r.replicaId} ${r.host}:${r.port}`).sort(), ['c0 10.20.0.1:31000', 'c1 10.20.0.2:31001', 'c2 10.20.0.1:31002']);
    await bus.publish(Subjects.InstanceStopped, { replica: mk(2), reason: 'bounce', exitCode: 0, oomKilled: false });
    await waitFor(
      async () =>
        (await call<api.GetStatusRequest, api.GetStatusResponse>(client, 'getStatus', { service: 'hello', cluster: '', instance: '' })).instances[0]!.replicas
          .length === 2,
      { what: 'the stopped replica to leave status' },
    );
    const list = await call<api.ListServicesRequest, api.ListServicesResponse>(client, 'listServices', {});
    assert.deepEqual(list.services, [{ name: 'hello', instances: ['local.main'], team: 'operations' }]);
    await assert.rejects(call(client, 'getStatus', { service: '', cluster: '', instance: '' }), (e: ServiceError) => e.code === status.INVALID_ARGUMENT);
  });

  it("shows the engine errors scheduler-bridge reports in deploy.progressed as the instance's reason and problems, until resolved", async () => {
    const bus = app.get(BusService);
    const getStatus = () => call<api.GetStatusRequest, api.GetStatusResponse>(client, 'getStatus', { service: 'hello', cluster: '', instance: '' });
    const problem = {
      replicaId: 'dead0',
      replicaName: 'orzo-hello-main-dead0',
      action: 'remove',
      error: 'driver "overlay2" failed to remove root filesystem: device or resource busy',
      attempts: 3,
      nextRetryAt: '2026-11-30T00:00:08.000Z',
      firstSeenAt: '2026-11-30T00:00:00.000Z',
    };
    const progressed = { deployId: 'd-problems', service: 'hello', instance: 'main', cluster: 'local', ready: 2, desired: 3 };
    await bus.publish(Subjects.DeployProgressed, {
      ...progressed,
      phase: 'degraded',
      message: '1 engine error(s), retried in the background: remove of orzo-hello-main-dead0 failed 3x',
      problems: [problem],
    });
    const shown = await waitFor(async () => ((await getStatus()).instances[0]?.problems.length ? (await getStatus()).instances[0] : undefined), {
      what: 'the problem in status',
    });
    assert.deepEqual(shown.problems, [problem]);
    assert.match(shown.reason, /remove of orzo-hello-main-dead0 failed 3x/);
    await bus.publish(Subjects.DeployProgressed, { ...progressed, phase: 'recovered', message: 'engine errors resolved', problems: [] });
    const cleared = await waitFor(async () => ((await getStatus()).instances[0]?.problems.length === 0 ? (await getStatus()).instances[0] : undefined), {
      what: 'the problem to leave status',
    });
    assert.equal(cleared.reason, '');
  });
});
