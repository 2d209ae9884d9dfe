import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BuildRequested, Subjects } from '@orzo/contracts';
import { DurableConsumer, EventPublisher, NatsConnection, connectNats, ensureStreams } from '@orzo/bus';
import { createLogger } from '@orzo/platform';
import { NatsServerHandle, databaseMatrix, startNatsServer, waitFor } from '@orzo/testing';
import { Database, ProcessedEventStore, transactionOf } from '../src';

const request: BuildRequested = { buildId: 'b-once', service: 'web', gitUrl: '/repo', commitSha: 'abc', dockerfile: '', context: '', buildArgs: {}, requestedBy: 'test', force: false };

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

    it('applies an event once when it is redelivered and when it is stored twice', async () => {
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const deliveries: number[] = [];
      const consumer = new DurableConsumer(js, jsm, {
        stream: 'ORZO_BUILD',
        durable: 'exactly-once',
        subject: Subjects.BuildRequested,
        ackWaitMs: 1_000,
        logger: createLogger('test', 'silent'),
        idempotency: new ProcessedEventStore(db),
        handler: async (e, ctx) => {
          deliveries.push(ctx.deliveryCount);
          await transactionOf(ctx).execute('insert into effects (event_id) values (?)', [e.envelope.id]);
          // The first delivery outlives ack_wait: the server redelivers while it still runs.
          if (ctx.deliveryCount === 1) await new Promise((r) => setTimeout(r, 1_600));
        },
      });
      await consumer.start();
      const sent = await new EventPublisher(js, { source: 'test' }).publish(Subjects.BuildRequested, request);
      // The same event stored a second time past the duplicate check (as after the window).
      const stored = await jsm.streams.getMessage('ORZO_BUILD', { seq: sent.seq });
      await js.publish(Subjects.BuildRequested, stored!.data);
      await waitFor(
        async () => {
          const info = await jsm.consumers.info('ORZO_BUILD', 'exactly-once');
          // Two stored copies, one delivered twice: three deliveries, all settled.
          return info.delivered.consumer_seq >= 3 && info.num_ack_pending === 0 && info.num_pending === 0;
        },
        { timeoutMs: 15_000, what: 'the redelivery and the second copy to be settled' },
      );
      await consumer.stop();
      assert.deepEqual(deliveries, [1], 'the handler ran for the first delivery only');
      const effects = await db.em().execute<{ event_id: string }[]>('select event_id from effects');
      assert.deepEqual(effects.map((r) => r.event_id), [sent.envelope.id]);
    });
  });
}
