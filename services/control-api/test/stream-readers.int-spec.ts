import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ClientReadableStream, ServiceError, status } from '@grpc/grpc-js';
import { JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { BuildLogs, DEAD_LETTER_PREFIX, Rpcs, Subjects, api } from '@orzo/contracts';
import { NatsServerHandle, startNatsServer, waitFor } from '@orzo/testing';
import { ControlApiRig, callUnary, startControlApi } from './control-api-rig';

/** A server stream read until it ends, fails or is cancelled. */
function read<T>(call: ClientReadableStream<T>) {
  const got: T[] = [];
  const ended = new Promise<status>((resolve) => {
    call.on('data', (x: T) => got.push(x));
    call.on('error', (e: ServiceError) => resolve(e.code));
    call.on('end', () => resolve(status.OK));
  });
  return { got, call, ended };
}

/**
 * A reader of a JetStream stream that went away (a cancelled call, a dashboard reload) or
 * finished must not leave its ordered consumer on the server for inactive_threshold (5 min):
 * counted through JetStream's own API, on a nats-server this test starts.
 */
describe('stream readers leave no JetStream consumer behind', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;
  let jsm: JetStreamManager;
  /** Every consumer on every stream, `<stream>/<name>`; control-api's own durable ones included. */
  const consumers = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const stream of jsm.streams.names()) for await (const c of jsm.consumers.list(stream)) out.push(`${stream}/${c.name}`);
    return out.sort();
  };
  let durables: string[];

  before(async () => {
    nats = await startNatsServer();
    rig = await startControlApi(nats);
    jsm = await jetstreamManager(rig.app.get(BusService).connection);
    durables = await consumers();
    assert.ok(durables.length > 0, "control-api's durable consumers are there to be told apart");
  });
  after(async () => {
    await rig?.close();
    await nats?.dispose();
  });

  it('a cancelled WatchEvents deletes its consumers, one per event stream, at once', async () => {
    const w = read(rig.client.watchEvents({ services: [], kinds: [], since: '', position: '', noFollow: false }));
    // Its consumers exist once it is live: an event published now reaches it.
    await waitFor(
      async () => {
        await rig.app.get(BusService).publish(Subjects.DeployProgressed, {
          deployId: 'd1',
          service: 'hello',
          instance: 'main',
          cluster: 'local',
          phase: 'bouncing',
          message: 'step',
          ready: 1,
          desired: 3,
          problems: [],
        });
        return w.got.length > 0;
      },
      { intervalMs: 300, what: 'the watcher to be live' },
    );
    const during = (await consumers()).filter((c) => !durables.includes(c));
    assert.ok(during.length >= 2, `the watcher's consumers: ${during.join(', ')}`);
    w.call.cancel();
    assert.equal(await w.ended, status.CANCELLED);
    await waitFor(async () => (await consumers()).join() === durables.join(), { what: `the watcher's consumers gone (${during.join(', ')})` });
  });

  it('a WatchEvents that ends by itself (no_follow) leaves none either', async () => {
    const w = read(rig.client.watchEvents({ services: [], kinds: [], since: '1h', position: '', noFollow: true }));
    assert.equal(await w.ended, status.OK);
    assert.ok(w.got.length > 0, 'it read the stored events');
    await waitFor(async () => (await consumers()).join() === durables.join(), { what: 'no consumer left after the replay' });
  });

  it("a cancelled followed build log deletes its reader's consumer, and so does a log read to its end", async () => {
    const js = jetstream(rig.app.get(BusService).connection);
    const onLog = async () => (await consumers()).filter((c) => c.startsWith(`${BuildLogs.stream}/`));
    const buildId = randomUUID();
    const subject = BuildLogs.subject('hello', buildId);
    const followed = read(rig.client.getBuildLog({ service: 'hello', buildId, follow: true }));
    await js.publish(subject, JSON.stringify({ at: new Date().toISOString(), line: 'compiling' }));
    await waitFor(() => followed.got.length === 1, { what: 'the first line' });
    assert.equal((await onLog()).length, 1, 'the reader follows the log through one consumer');
    followed.call.cancel();
    assert.equal(await followed.ended, status.CANCELLED);
    await waitFor(async () => (await onLog()).length === 0, { what: "the cancelled reader's consumer gone" });

    await js.publish(subject, JSON.stringify({ at: new Date().toISOString(), line: 'linked', end: 'succeeded' }));
    const replay = read(rig.client.getBuildLog({ service: 'hello', buildId, follow: true }));
    assert.equal(await replay.ended, status.OK);
    assert.deepEqual(
      replay.got.map((l) => l.line),
      ['compiling', 'linked'],
    );
    await waitFor(async () => (await onLog()).length === 0, { what: "the finished reader's consumer gone" });
  });

  it('a cancelled followed GetInstanceLogs uses no consumer and stops asking the bridge', async () => {
    let asked = 0;
    const nc = rig.app.get(BusService).connection;
    // The cluster's scheduler-bridge: one line, then nothing new.
    const bridge = nc.subscribe(Rpcs.replicaLogs('local').subject, {
      callback: (_err, msg) => {
        asked++;
        const replica = { id: 'r1', name: 'hello.main.1', instance: 'main', running: true };
        const lines = asked === 1 ? [{ at: new Date().toISOString().replace('Z', '000000Z'), replicaId: 'r1', stream: 'stdout', line: 'hello' }] : [];
        msg.respond(JSON.stringify({ replicas: [replica], lines, truncated: false }));
      },
    });
    try {
      const logs = read(
        rig.client.getInstanceLogs({ service: 'hello', cluster: '', instance: '', replicaId: '', follow: true, lines: 10, since: '', stream: '' }),
      );
      await waitFor(() => logs.got.length === 1 && asked >= 2, { what: 'the first line, then a follow-up ask' });
      assert.equal((await consumers()).join(), durables.join(), 'no JetStream consumer while following');
      logs.call.cancel();
      assert.equal(await logs.ended, status.CANCELLED);
      // The follower sleeps a second between asks: after the one in flight, no more.
      await new Promise((r) => setTimeout(r, 1_500));
      const then = asked;
      await new Promise((r) => setTimeout(r, 2_500));
      assert.equal(asked, then, 'no ask after the call was cancelled');
      assert.equal((await consumers()).join(), durables.join());
    } finally {
      bridge.unsubscribe();
    }
  });

  it('ListDeadLetters reads through a consumer it deletes before answering', async () => {
    await jetstream(rig.app.get(BusService).connection).publish(`${DEAD_LETTER_PREFIX}.some-consumer.orzo.build.requested.v1`, '{"id":"e1"}');
    const listed = await callUnary<api.ListDeadLettersRequest, api.ListDeadLettersResponse>(rig.client, 'listDeadLetters', { consumer: '', limit: 10 });
    assert.equal(listed.deadLetters.length, 1);
    assert.equal((await consumers()).join(), durables.join(), 'no consumer left on ORZO_DLQ');
  });
});
