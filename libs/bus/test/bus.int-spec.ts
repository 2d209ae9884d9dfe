import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { DeadLetterHeaders, DiscoveryRegistry, Registration, Subjects, createEnvelope, deadLetterSubject } from '@orzo/contracts';
import { InvalidArgumentError, UnavailableError } from '@orzo/platform';
import { waitFor } from '@orzo/testing';
import { Kvm } from '@nats-io/kv';
import { DeadLetterReader, DiscoveryRegistryStore, IdempotencyStore, IdempotentResult, Outcome, RegistryChange } from '../src';
import { BusRig, busRig, buildRequested } from './helpers';

/** Dead letters of a consumer whose body mentions `marker` (every consumer sees the whole stream). */
async function deadLettersAbout(rig: BusRig, durable: string, marker: string) {
  return waitFor(async () => {
    const found = (await deadLetters(rig, durable)).filter((d) => d.body.includes(marker));
    return found.length ? found : null;
  });
}

async function deadLetters(rig: BusRig, durable: string): Promise<Array<{ subject: string; error: string; body: string }>> {
  const name = `dlq-reader-${Math.random().toString(36).slice(2)}`;
  await rig.jsm.consumers.add('ORZO_DLQ', {
    durable_name: name,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    filter_subject: `orzo.dlq.${durable}.>`,
  });
  const c = await rig.js.consumers.get('ORZO_DLQ', name);
  const out: Array<{ subject: string; error: string; body: string }> = [];
  const info = await c.info();
  if (info.num_pending > 0) {
    const batch = await c.fetch({ max_messages: info.num_pending, expires: 2000 });
    for await (const m of batch) {
      out.push({ subject: m.subject, error: m.headers?.get(DeadLetterHeaders.Error) ?? '', body: m.string() });
      if (out.length >= info.num_pending) break;
    }
  }
  await rig.jsm.consumers.delete('ORZO_DLQ', name);
  return out;
}

describe('libs/bus on a real nats-server', () => {
  let rig: BusRig;
  before(async () => {
    rig = await busRig();
  });
  after(async () => {
    await rig.close();
  });

  it('redelivers an event to a consumer restarted after dying before its ack', async () => {
    const durable = 'dies-before-ack';
    const script = join(__dirname, 'fixtures', 'dying-consumer.js');
    const child = spawn(process.execPath, [script, rig.server.url, durable], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('ready'), { what: 'the dying consumer to start' });
    const sent = await rig.publisher.publish(Subjects.BuildRequested, buildRequested('die'));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 137);
    assert.match(out, new RegExp(`got ${sent.envelope.id}`));

    const seen: Array<{ id: string; delivery: number }> = [];
    await rig.consumer({ durable, ackWaitMs: 1_000, handler: (e, ctx) => (seen.push({ id: e.envelope.id, delivery: ctx.deliveryCount }), Outcome.ack()) });
    await waitFor(() => seen.length > 0, { timeoutMs: 10_000, what: 'the redelivery' });
    assert.equal(seen[0]!.id, sent.envelope.id);
    assert.ok(seen[0]!.delivery >= 2, `delivered again (delivery ${seen[0]!.delivery})`);
  });

  it('drops a duplicate publish inside the duplicate window', async () => {
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 'test' });
    const before = (await rig.jsm.streams.info('ORZO_BUILD')).state.messages;
    const first = await rig.publisher.publishEnvelope(envelope, buildRequested('dup'));
    const second = await rig.publisher.publishEnvelope(envelope, buildRequested('dup'));
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    assert.equal((await rig.jsm.streams.info('ORZO_BUILD')).state.messages, before + 1);
  });

  it('parks an undecodable message on the dead-letter subject with the reason and keeps consuming', async () => {
    const durable = 'poison-decode';
    const handled: string[] = [];
    await rig.consumer({ durable, handler: (e) => (handled.push(e.payload.buildId), Outcome.ack()) });
    await rig.js.publish(Subjects.BuildRequested, new TextEncoder().encode('{"this is": not json'));
    const missing = createEnvelope(Subjects.BuildRequested, { source: 'test' });
    await rig.js.publish(Subjects.BuildRequested, new TextEncoder().encode(JSON.stringify({ ...missing, payload: { buildId: 'x' } })));
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('after-poison'));
    await waitFor(() => handled.includes('b-after-poison'), { what: 'the good event after the poison ones' });
    const dead = await waitFor(async () => {
      const d = await deadLetters(rig, durable);
      return d.length >= 2 ? d : null;
    });
    assert.equal(dead[0]!.subject, deadLetterSubject(durable, Subjects.BuildRequested));
    assert.match(dead[0]!.error, /decode: body is not valid JSON/);
    assert.equal(dead[0]!.body, '{"this is": not json', 'the original body is kept');
    assert.match(dead[1]!.error, /payload.service is required by BuildRequested/);
    // Terminated, not merely parked: nothing is left pending to come back after ack_wait.
    await waitFor(async () => (await rig.jsm.consumers.info('ORZO_BUILD', durable)).num_ack_pending === 0, { what: 'the parked messages terminated' });
  });

  it('retries a failing handler with backoff, then dead-letters it with its error', async () => {
    const durable = 'poison-handler';
    const attempts: number[] = [];
    await rig.consumer({
      durable,
      maxAttempts: 3,
      backoffMs: [100, 200],
      handler: (e, ctx) => {
        if (e.payload.buildId !== 'b-boom') return Outcome.ack();
        attempts.push(ctx.deliveryCount);
        throw new Error('docker daemon unreachable');
      },
    });
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('boom'));
    const dead = await deadLettersAbout(rig, durable, 'b-boom');
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.match(dead[0]!.error, /after 3 attempts: Error: docker daemon unreachable/);
  });

  it('honours a handler outcome: dead-letter at once, or retry after its own delay', async () => {
    const durable = 'outcomes';
    const seen: Array<{ id: string; n: number }> = [];
    await rig.consumer({
      durable,
      handler: (e, ctx) => {
        seen.push({ id: e.payload.buildId, n: ctx.deliveryCount });
        if (e.payload.buildId === 'b-unknown-service') return Outcome.deadLetter('unknown service web');
        if (e.payload.buildId === 'b-later' && ctx.deliveryCount === 1) return Outcome.retry('not yet', 50);
        return Outcome.ack();
      },
    });
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('unknown-service'));
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('later'));
    await waitFor(() => seen.some((s) => s.id === 'b-later' && s.n === 2), { what: 'the retried event' });
    const dead = await deadLettersAbout(rig, durable, 'b-unknown-service');
    assert.match(dead[0]!.error, /unknown service web/);
    assert.equal(seen.filter((s) => s.id === 'b-unknown-service').length, 1, 'a dead-lettered event is not redelivered');
  });

  it('dead-letters a permanent fault thrown by a handler on its first delivery, and retries a transient one', async () => {
    const durable = 'permanent-fault';
    const seen: Array<{ id: string; n: number }> = [];
    await rig.consumer({
      durable,
      backoffMs: [50],
      handler: (e, ctx) => {
        seen.push({ id: e.payload.buildId, n: ctx.deliveryCount });
        if (e.payload.buildId === 'b-bad-sha') throw new InvalidArgumentError('commit_sha "main" is not a hex git sha');
        if (e.payload.buildId === 'b-engine-down' && ctx.deliveryCount === 1) throw new UnavailableError('docker is restarting');
        return Outcome.ack();
      },
    });
    const bad = await rig.publisher.publish(Subjects.BuildRequested, buildRequested('bad-sha'));
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('engine-down'));
    await waitFor(() => seen.some((s) => s.id === 'b-engine-down' && s.n === 2), { what: 'the transient fault retried' });
    const listed = await waitFor(async () => {
      const found = (await new DeadLetterReader(rig.nc).list({ consumer: durable })).filter((d) => d.eventId === bad.envelope.id);
      return found.length ? found : null;
    });
    assert.equal(seen.filter((s) => s.id === 'b-bad-sha').length, 1, 'handled once, not retried');
    assert.deepEqual(
      { ...listed[0]!, parkedAt: undefined, sequence: undefined, body: undefined },
      {
        subject: deadLetterSubject(durable, Subjects.BuildRequested),
        consumer: durable,
        originalSubject: Subjects.BuildRequested,
        error: 'InvalidArgumentError: commit_sha "main" is not a hex git sha',
        deliveryCount: 1,
        originalSequence: bad.seq,
        eventId: bad.envelope.id,
        parkedAt: undefined,
        sequence: undefined,
        body: undefined,
      },
    );
    assert.ok(Date.parse(listed[0]!.parkedAt) > Date.now() - 60_000, 'parked just now');
    const newest = await new DeadLetterReader(rig.nc).list({ limit: 1 });
    assert.equal(newest.length, 1, 'limit keeps the newest only');
    assert.ok(newest[0]!.sequence >= listed[0]!.sequence);
    assert.deepEqual(await new DeadLetterReader(rig.nc).list({ consumer: 'nobody-parked-here' }), []);
  });

  it("runs a handler's afterCommit callbacks once its effects are committed: not for an attempt rolled back, a retried event or a duplicate", async () => {
    const order: string[] = [];
    // Like ProcessedEventStore when a batch fails: each effect is rolled back once, then applied alone.
    const committed = new Set<string>();
    const store: IdempotencyStore = {
      async apply(_consumer, items) {
        const results: IdempotentResult[] = [];
        for (const item of items) {
          if (committed.has(item.eventId)) {
            results.push({ status: 'duplicate' });
            continue;
          }
          await item.effect({}).catch(() => undefined);
          order.push('rolled back');
          try {
            await item.effect({});
          } catch (error) {
            results.push({ status: 'failed', error });
            continue;
          }
          committed.add(item.eventId);
          order.push(`commit ${item.eventId}`);
          results.push({ status: 'applied' });
        }
        return results;
      },
    };
    // Names of their own: the consumer also reads the events the tests above published.
    const ids = new Map<string, string>();
    await rig.consumer({
      durable: 'after-commit',
      idempotency: store,
      handler: (e, ctx) => {
        ctx.afterCommit(() => order.push(`after ${e.payload.buildId}`));
        if (e.payload.buildId === 'b-ac-later' && ctx.deliveryCount === 1) return Outcome.retry('not yet', 50);
        return Outcome.ack();
      },
    });
    for (const n of ['ac-now', 'ac-later']) ids.set(n, (await rig.publisher.publish(Subjects.BuildRequested, buildRequested(n))).envelope.id);
    await waitFor(() => order.includes('after b-ac-later'), { what: 'the retried event committed' });
    const of = (n: string) => order.filter((o) => o === `commit ${ids.get(n)}` || o === `after b-${n}`);
    assert.deepEqual(of('ac-now'), [`commit ${ids.get('ac-now')}`, 'after b-ac-now'], order.join(', '));
    assert.deepEqual(of('ac-later'), [`commit ${ids.get('ac-later')}`, 'after b-ac-later'], order.join(', '));
    // An event the store already has (a redelivery after a crash): a duplicate, no callback.
    const dup = randomUUID();
    committed.add(dup);
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('ac-dup'), { id: dup });
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('ac-next'));
    await waitFor(() => order.includes('after b-ac-next'), { what: 'the event after the duplicate' });
    assert.ok(!order.includes('after b-ac-dup'), order.join(', '));
  });

  it('reads and writes the discovery registry in its declared shape, refusing a malformed value', async () => {
    const store = await DiscoveryRegistryStore.open(rig.nc);
    const endpoint = { host: '127.0.0.1', port: 31000, replicaId: 'r1', weight: 1, since: '2026-01-01T00:00:00Z' };
    await store.putEndpoints('web.main', [endpoint]);
    await store.putSeen('r1', endpoint.since);
    assert.deepEqual(await store.endpoints('web.main'), [endpoint]);
    assert.deepEqual(await store.endpoints('web.canary'), []);
    const entries = [];
    for await (const e of store.entries()) entries.push(e);
    assert.deepEqual(
      entries.filter((e) => e.kind !== 'frontend'),
      [
        { kind: 'endpoints', registration: 'web.main', endpoints: [endpoint] },
        { kind: 'seen', replicaId: 'r1', at: endpoint.since },
      ],
    );
    const kv = await new Kvm(rig.nc).open(DiscoveryRegistry.bucket);
    await kv.put(DiscoveryRegistry.endpointsKey('web.bad'), JSON.stringify([{ host: 'h', port: 'x' }]));
    await assert.rejects(store.endpoints('web.bad'), /endpoints\.web\.bad is not a list of endpoints: 0\.port: .*; 0\.replicaId: /);
  });

  it('watches the registry: current values first, then each write; deletes as empty, bad values flagged, seen keys skipped', async () => {
    const store = await DiscoveryRegistryStore.open(rig.nc);
    const kv = await new Kvm(rig.nc).open(DiscoveryRegistry.bucket);
    await store.putEndpoints('watch.main', [{ host: '10.0.0.1', port: 31000, replicaId: 'w1', weight: 10, since: 't1' }]);
    await store.putSeen('w1', 't1');
    await kv.put(DiscoveryRegistry.endpointsKey('watch.bad'), '{"not":"a list"}');
    const watch = await store.watch();
    const seen: RegistryChange[] = [];
    const reading = (async () => {
      for await (const c of watch.changes) {
        seen.push(c);
        if (c.kind === 'endpoints' && c.registration === 'watch.main' && c.endpoints.length === 0) break;
      }
    })();
    await waitFor(() => seen.some((c) => c.kind === 'endpoints' && c.registration === 'watch.main'), { what: 'the current value' });
    await store.putFrontend(Registration.fromPartial({ name: 'watch.main', proxyPort: 20999, mode: 'http' }));
    await kv.delete(DiscoveryRegistry.endpointsKey('watch.main'));
    await reading;
    watch.stop();
    const mine = seen.filter((c) => (c.kind === 'invalid' ? c.key.includes('watch.') : c.registration.startsWith('watch.')));
    assert.deepEqual(
      mine.map((c) =>
        c.kind === 'invalid'
          ? `invalid ${c.key}`
          : c.kind === 'frontend'
            ? `frontend ${c.frontend?.proxyPort}`
            : `endpoints ${c.endpoints.map((e) => e.host).join(',')}`,
      ),
      ['endpoints 10.0.0.1', 'invalid endpoints.watch.bad', 'frontend 20999', 'endpoints '],
    );
    assert.match((mine[1] as { problem: string }).problem, /endpoints\.watch\.bad is not a list of endpoints/);
    // seen.w1 (and the other test's seen.r1) are in the bucket but are not routing state.
    assert.deepEqual([...new Set(seen.map((c) => c.kind))].sort(), ['endpoints', 'frontend', 'invalid']);
  });

  it('does not redeliver an event whose handler outlives ack_wait while it still runs', async () => {
    const durable = 'slow-handler';
    const deliveries: number[] = [];
    let finished = false;
    await rig.consumer({
      durable,
      ackWaitMs: 1_000,
      handler: async (e, ctx) => {
        if (e.payload.buildId !== 'b-slow') return Outcome.ack();
        deliveries.push(ctx.deliveryCount);
        await new Promise((r) => setTimeout(r, 2_500));
        finished = true;
        return Outcome.ack();
      },
    });
    await rig.publisher.publish(Subjects.BuildRequested, buildRequested('slow'));
    await waitFor(() => finished, { timeoutMs: 10_000, what: 'the slow handler' });
    await waitFor(async () => (await rig.jsm.consumers.info('ORZO_BUILD', durable)).num_ack_pending === 0, { what: 'the ack' });
    assert.deepEqual(deliveries, [1], 'kept in progress, not redelivered');
  });

  it('with concurrency, handles an event while the one before it still waits on I/O: started in arrival order, each acked on its own, a failure retried alone', async () => {
    const durable = 'concurrent-handler';
    const started: string[] = [];
    const finished: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const attempts = new Map<string, number>();
    await rig.consumer({
      durable,
      concurrency: 8,
      backoffMs: [100],
      handler: async (e) => {
        const id = e.payload.buildId;
        if (!id.startsWith('b-conc')) return Outcome.ack();
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        started.push(id);
        if (id === 'b-conc-0') await held; // the first waits on its "write"
        if (id === 'b-conc-2' && attempts.get(id) === 1) throw new UnavailableError('the first attempt fails');
        finished.push(id);
        return Outcome.ack();
      },
    });
    for (let i = 0; i < 4; i++) await rig.publisher.publish(Subjects.BuildRequested, buildRequested(`conc-${i}`));
    await waitFor(() => finished.length === 3, { what: 'the events behind the held one handled' });
    assert.deepEqual(started.slice(0, 4), ['b-conc-0', 'b-conc-1', 'b-conc-2', 'b-conc-3'], 'started in arrival order');
    assert.deepEqual(finished.slice().sort(), ['b-conc-1', 'b-conc-2', 'b-conc-3'], 'the failed one retried alone, not held behind b-conc-0');
    try {
      await waitFor(async () => (await rig.jsm.consumers.info('ORZO_BUILD', durable)).num_ack_pending === 1, { what: 'every event but the held one acked' });
    } finally {
      release();
    }
    await waitFor(() => finished.includes('b-conc-0'), { what: 'the held event' });
    await waitFor(async () => (await rig.jsm.consumers.info('ORZO_BUILD', durable)).num_ack_pending === 0, { what: 'every ack' });
    assert.equal(attempts.get('b-conc-1'), 1);
    assert.equal(attempts.get('b-conc-2'), 2);
  });

  it('keeps every acked publish across a NATS server restart', async () => {
    const durable = 'across-restart';
    const ids = new Set<string>();
    await rig.consumer({ durable, handler: (e) => (e.payload.requestedBy === 'restart' && ids.add(e.envelope.id), Outcome.ack()) });
    const sent: string[] = [];
    const publish = async (n: number) =>
      sent.push((await rig.publisher.publish(Subjects.BuildRequested, { ...buildRequested(n), requestedBy: 'restart' })).envelope.id);
    for (let i = 0; i < 20; i++) await publish(i);
    await rig.server.stop();
    const during = Promise.all(Array.from({ length: 20 }, (_, i) => publish(100 + i)));
    await new Promise((r) => setTimeout(r, 1_000));
    await rig.server.start();
    await during;
    assert.equal(sent.length, 40);
    await waitFor(() => ids.size === 40, { timeoutMs: 20_000, what: `all 40 events to be consumed (have ${ids.size})` });
    assert.deepEqual([...ids].sort(), [...sent].sort());
  });
});
