import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { IdempotentItem } from '@orzo/bus';
import { databaseMatrix } from '@orzo/testing';
import { STREAMS } from '@orzo/contracts';
import { Database, PendingMigrationsError, ProcessedEventPruner, ProcessedEventStore, processedEventRetentionMs, transactionOf } from '../src';

for (const target of databaseMatrix()) {
  describe(`persistence on ${target.name}`, () => {
    const opened: Database[] = [];
    const open = async () => {
      const db = await Database.open({ url: url, schema: target.schema });
      opened.push(db);
      return db;
    };
    const url = target.url();

    after(async () => {
      if (target.name === 'postgresql' && opened[0]) await opened[0].orm.em.getConnection().execute(`drop schema if exists "${target.schema}" cascade`);
      for (const db of opened) await db.close();
    });

    it('refuses to be used before the explicit migrate step, then migrates once', async () => {
      const db = await open();
      await assert.rejects(db.assertMigrated(), PendingMigrationsError);
      assert.deepEqual(await db.migrate(), ['M20261124ProcessedEvents']);
      await db.assertMigrated();
      assert.deepEqual(await db.migrate(), [], 'a second migrate does nothing');
      await db.em().execute('create table effects (event_id varchar(100) not null, note varchar(100) not null)');
    });

    const effectsOf = async (db: Database) =>
      (await db.em().execute<{ event_id: string }[]>('select event_id from effects order by event_id')).map((r) => r.event_id);
    const item = (eventId: string, fail = false): IdempotentItem => ({
      eventId,
      subject: 'orzo.test.v1',
      effect: async (tx) => {
        await transactionOf({ tx }).execute('insert into effects (event_id, note) values (?, ?)', [eventId, 'x']);
        if (fail) throw new Error(`effect of ${eventId} failed`);
      },
    });

    it('applies a batch once and reports redelivered events as duplicates', async () => {
      const db = await open();
      const store = new ProcessedEventStore(db);
      const first = await store.apply('c1', [item('e1'), item('e2'), item('e1')]);
      assert.deepEqual(
        first.map((r) => r.status),
        ['applied', 'applied', 'duplicate'],
      );
      const again = await store.apply('c1', [item('e1'), item('e2'), item('e3')]);
      assert.deepEqual(
        again.map((r) => r.status),
        ['duplicate', 'duplicate', 'applied'],
      );
      assert.deepEqual(await effectsOf(db), ['e1', 'e2', 'e3']);
      assert.ok(await store.isProcessed('c1', 'e3'));
      assert.ok(!(await store.isProcessed('other-consumer', 'e3')), 'marks are per consumer');
    });

    it('rolls back only the failing effect of a batch and leaves it unrecorded', async () => {
      const db = await open();
      const store = new ProcessedEventStore(db);
      const results = await store.apply('c2', [item('f1'), item('f2', true), item('f3')]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['applied', 'failed', 'applied'],
      );
      assert.ok(!(await store.isProcessed('c2', 'f2')));
      const retried = await store.apply('c2', [item('f2')]);
      assert.deepEqual(
        retried.map((r) => r.status),
        ['applied'],
      );
      const effects = (await effectsOf(db)).filter((e) => e.startsWith('f'));
      assert.deepEqual(effects, ['f1', 'f2', 'f3'], 'the failed attempt left no effect behind');
    });

    it('applies an event once when two replicas race for it', async () => {
      const a = new ProcessedEventStore(await open());
      const b = new ProcessedEventStore(await open());
      const [ra, rb] = await Promise.all([a.apply('c3', [item('r1')]), b.apply('c3', [item('r1')])]);
      const statuses = [ra[0]!.status, rb[0]!.status].sort();
      assert.ok(statuses.includes('applied'), `one replica applies it: ${statuses}`);
      assert.ok(!statuses.every((s) => s === 'applied'), `not both: ${statuses}`);
      assert.deepEqual(
        (await effectsOf(opened[0]!)).filter((e) => e === 'r1'),
        ['r1'],
      );
    });

    it('prunes old marks', async () => {
      const db = await open();
      const store = new ProcessedEventStore(db);
      await store.apply('c4', [item('p1')]);
      await store.prune(new Date(Date.now() + 60_000));
      assert.ok(!(await store.isProcessed('c4', 'p1')));
    });

    it('the pruner keeps every mark a stream could still redeliver, and drops the older ones', async () => {
      const db = await open();
      const store = new ProcessedEventStore(db);
      const logged: string[] = [];
      const pruner = new ProcessedEventPruner(store, { info: (_o: unknown, m: string) => logged.push(m), warn: () => undefined } as never);
      await store.apply('c5', [item('recent')]);
      const longest = Math.max(...STREAMS.map((s) => s.maxAgeSeconds)) * 1000;
      await db
        .em()
        .execute('insert into orzo_processed_event (consumer, event_id, subject, processed_at) values (?, ?, ?, ?)', [
          'c5',
          'ancient',
          'orzo.test.v1',
          new Date(Date.now() - longest - 2 * 86_400_000).toISOString(),
        ]);
      await db
        .em()
        .execute('insert into orzo_processed_event (consumer, event_id, subject, processed_at) values (?, ?, ?, ?)', [
          'c5',
          'old-but-replayable',
          'orzo.test.v1',
          new Date(Date.now() - longest + 3_600_000).toISOString(),
        ]);
      assert.equal(processedEventRetentionMs(), longest + 86_400_000);
      assert.equal(await pruner.pruneNow(), 1);
      assert.deepEqual(
        [await store.isProcessed('c5', 'ancient'), await store.isProcessed('c5', 'old-but-replayable'), await store.isProcessed('c5', 'recent')],
        [false, true, true],
      );
      assert.match(logged.join(), /pruned processed-event marks/);
    });
  });
}
