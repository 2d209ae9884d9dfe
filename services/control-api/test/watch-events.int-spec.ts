import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClientReadableStream, ServiceError, credentials, status } from '@grpc/grpc-js';
import { BusService } from '@orzo/bus';
import { Subjects, api, bearer } from '@orzo/contracts';
import { NatsServerHandle, startNatsServer, waitFor } from '@orzo/testing';
import { ControlApiRig, callUnary, startControlApi } from './control-api-rig';

const SHA = 'e1e2e3e4e5f60718293a4b5c6d7e8f9012345678';

/** Reads a WatchEvents stream into an array until cancelled or ended. */
function watch(client: api.ControlApiClient, req: Partial<api.WatchEventsRequest>) {
  const events: api.WatchedEvent[] = [];
  const call: ClientReadableStream<api.WatchedEvent> = client.watchEvents({ services: [], kinds: [], since: '', position: '', noFollow: false, ...req });
  const ended = new Promise<{ code: status; details: string }>((resolve) => {
    call.on('data', (e: api.WatchedEvent) => events.push(e));
    call.on('error', (e: ServiceError) => resolve({ code: e.code, details: e.details }));
    call.on('end', () => resolve({ code: status.OK, details: '' }));
  });
  return { events, call, ended };
}

describe('WatchEvents: every change as it happens, from a position, without gaps or duplicates', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;
  const mark = () =>
    callUnary<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>(rig.client, 'markForDeployment', {
      service: 'hello',
      deployGroup: 'local.main',
      image: '',
      commitSha: SHA,
      requestedBy: '',
      autoRollback: false,
    });
  /** What scheduler-bridge would say about the deploy: one event in ORZO_DEPLOY, one in ORZO_INSTANCE. */
  const progress = async (deployId: string, n: number) => {
    const bus = rig.app.get(BusService);
    await bus.publish(
      Subjects.InstanceStarted,
      {
        replica: {
          service: 'hello',
          instance: 'main',
          cluster: 'local',
          replicaId: `r${n}`,
          host: '127.0.0.1',
          port: 30000 + n,
          gitSha: SHA,
          configHash: 'c',
          forceBounce: '',
        },
        image: 'x',
        registrations: ['hello.main'],
      },
      { correlationId: deployId },
    );
    await bus.publish(
      Subjects.DeployProgressed,
      { deployId, service: 'hello', instance: 'main', cluster: 'local', phase: 'bouncing', message: `step ${n}`, ready: n, desired: 3, problems: [] },
      { correlationId: deployId },
    );
  };

  before(async () => {
    nats = await startNatsServer();
    rig = await startControlApi(nats);
  });
  after(async () => {
    await rig?.close();
    await nats?.dispose();
  });

  it("follows a mark's events live, in the order they happened across streams", async () => {
    const w = watch(rig.client, { services: ['hello'] });
    await new Promise((r) => setTimeout(r, 300));
    const { deployId } = await mark();
    for (let n = 1; n <= 3; n++) await progress(deployId, n);
    await waitFor(() => w.events.filter((e) => e.type === 'deploy.progressed').length === 3, { what: 'three deploy.progressed' });
    w.call.cancel();
    const types = w.events.map((e) => e.type);
    assert.deepEqual(types, [
      'deploy.requested',
      'instance.started',
      'deploy.progressed',
      'instance.started',
      'deploy.progressed',
      'instance.started',
      'deploy.progressed',
    ]);
    assert.ok(w.events.every((e) => e.service === 'hello' && e.position));
    assert.equal(JSON.parse(w.events[0]!.payloadJson).deployId, deployId);
    assert.deepEqual(
      w.events.filter((e) => e.type === 'deploy.progressed').map((e) => (JSON.parse(e.payloadJson) as { message: string }).message),
      ['step 1', 'step 2', 'step 3'],
    );
  });

  it('replays stored events merged by time, and resumes after a reconnect with no gap and no duplicate', async () => {
    const all = watch(rig.client, { since: '1h', noFollow: true });
    assert.equal((await all.ended).code, status.OK);
    assert.ok(all.events.length >= 7, `${all.events.length} stored events`);
    const times = all.events.map((e) => Date.parse(e.occurredAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'stored events come out in the order they happened',
    );

    // A client that read up to some event, then lost its connection while more happened.
    const cut = all.events[3]!;
    const { deployId } = await mark();
    await progress(deployId, 4);
    const resumed = watch(rig.client, { position: cut.position, noFollow: true });
    assert.equal((await resumed.ended).code, status.OK);
    const ids = (xs: api.WatchedEvent[]) => xs.map((e) => e.id);
    assert.deepEqual(ids(resumed.events).slice(0, all.events.length - 4), ids(all.events).slice(4), 'the rest of what was stored, in the same order');
    const fresh = resumed.events.slice(all.events.length - 4);
    assert.deepEqual(
      fresh.map((e) => e.type),
      ['deploy.requested', 'instance.started', 'deploy.progressed'],
    );
    assert.equal(new Set(ids(resumed.events)).size, resumed.events.length, 'no duplicate');
    assert.ok(!ids(resumed.events).includes(cut.id), 'the event of the position itself is not sent again');
  });

  it('filters by kind; refuses a bad kind, since or position, and a token without read', async () => {
    const deploys = watch(rig.client, { kinds: ['deploy.requested'], since: '1h', noFollow: true });
    await deploys.ended;
    assert.ok(deploys.events.length >= 2 && deploys.events.every((e) => e.type === 'deploy.requested'));
    for (const [req, pattern] of [
      [{ kinds: ['deploys'] }, /unknown event kind "deploys"/],
      [{ since: 'yesterday' }, /since "yesterday" is not a duration/],
      [{ position: 'not-a-position' }, /position is not one this API gave out/],
    ] as Array<[Partial<api.WatchEventsRequest>, RegExp]>) {
      const w = watch(rig.client, { noFollow: true, ...req });
      const end = await w.ended;
      assert.equal(end.code, status.INVALID_ARGUMENT, end.details);
      assert.match(end.details, pattern);
    }
    const { token } = await callUnary<api.CreateTokenRequest, api.CreateTokenResponse>(rig.client, 'createToken', {
      name: 'builds-only',
      scopes: ['build:hello'],
      expires: '',
    });
    const other = new api.ControlApiClient(rig.address, credentials.createInsecure(), { interceptors: [bearer(token)] });
    const denied = await watch(other, { noFollow: true }).ended;
    other.close();
    assert.equal(denied.code, status.PERMISSION_DENIED);
  });
});
