import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BuildRequested, Subjects } from '@orzo/contracts';
import { DurableConsumer, EventPublisher, IdempotencyStore, NatsConnection, Outcome, connectNats, ensureStreams } from '@orzo/bus';
import { createLogger } from '@orzo/platform';
import { NatsServerHandle, databaseMatrix, startNatsServer, waitFor } from '@orzo/testing';
import { Database, ProcessedEventStore, transactionOf } from '../src';

const request: BuildRequested = {
  buildId: 'b-once',
  service: 'web',
  gitUrl: '/repo',
  commitSha: 'abc',
  dockerfile: '',
  context: '',
  buildArgs: {},
  requestedBy: 'test',
  force: false,
  skipPipeline: false,
};

for (const target of databaseMatrix()) {
  describe(`exactly-once effects on ${target.name} behind a real JetStream consumer`, () => {
    let server: NatsServerHandle;
    let nc: NatsConnection;
    let db: Database;
    before(async () => {
      server = await startNatsServer();
      nc = await connectNats(server.url, 'test');
      await ensureStreams(await jetstreamManager(nc));
      db = await Database.open({ url: target.url(), schema: target.schema });
      await db.migrate();
      await db.em().execute('create table effects (event_id varchar(100) not null)');
    });
    after(async () => {
      if (target.name === 'postgresql') await db.em().execute(`drop schema if exists "${target.schema}" cascade`);
      await db.close();
      await nc.close();
      await server.dispose();
    });

    it('applies an event once when it is redelivered after a crash and when it is stored twice', async () => {
      const store = new ProcessedEventStore(db);
      const deliveries: number[] = [];
      const consumerOn = (conn: NatsConnection, idempotency: IdempotencyStore) =>
        new DurableConsumer(jetstream(conn), jsmOf.get(conn)!, {
          stream: 'ORZO_BUILD',
          durable: 'exactly-once',
          subject: Subjects.BuildRequested,
          ackWaitMs: 1_000,
          logger: createLogger('test', 'silent'),
          idempotency,
          handler: async (e, ctx) => {
            deliveries.push(ctx.deliveryCount);
            await transactionOf(ctx).execute('insert into effects (event_id) values (?)', [e.envelope.id]);
            return Outcome.ack();
          },
        });
      const jsmOf = new Map<NatsConnection, JetStreamManager>();
      // Replica 1 commits the effect, then "crashes" before its ack reaches the server.
      const doomed = await connectNats(server.url, 'doomed');
      jsmOf.set(doomed, await jetstreamManager(doomed));
      let committed = false;
      const crashAfterCommit: IdempotencyStore = {
        apply: async (consumer, items) => {
          const results = await store.apply(consumer, items);
          committed = true;
          await doomed.close();
          return results;
        },
      };
      const first = consumerOn(doomed, crashAfterCommit);
      await first.start();
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const sent = await new EventPublisher(js, { source: 'test' }).publish(Subjects.BuildRequested, request);
      await waitFor(() => committed, { what: 'the first replica to commit' });
      await first.stop().catch(() => undefined);

      // Replica 2 gets the redelivery, and a second stored copy of the same event.
      jsmOf.set(nc, jsm);
      const second = consumerOn(nc, store);
      await second.start();
      const stored = await jsm.streams.getMessage('ORZO_BUILD', { seq: sent.seq });
      await js.publish(Subjects.BuildRequested, stored!.data);
      await waitFor(
        async () => {
          const info = await jsm.consumers.info('ORZO_BUILD', 'exactly-once');
          // Two stored copies, the first delivered twice: three deliveries, all settled.
          return info.delivered.consumer_seq >= 3 && info.num_ack_pending === 0 && info.num_pending === 0;
        },
        { timeoutMs: 15_000, what: 'the redelivery and the second copy to be settled' },
      );
      await second.stop();
      assert.deepEqual(deliveries, [1], 'the handler ran for the first delivery only');
      const effects = await db.em().execute<{ event_id: string }[]>('select event_id from effects');
      assert.deepEqual(
        effects.map((r) => r.event_id),
        [sent.envelope.id],
      );
    });
  });
}
