import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Database, DatabaseHolder } from '@orzo/persistence';
import { databaseMatrix } from '@orzo/testing';
import { DeliveryRecord, DeliveryRepository } from '../src/persistence/delivery.repository';
import { HookDeliverySchema } from '../src/persistence/hook-delivery.entity';
import { M20261125JenkinsHook } from '../src/persistence/m20261125-jenkins-hook';

const record = (key: string, receivedAt: string, extra: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  key,
  service: 'hello',
  job: 'services-hello',
  number: 42,
  phase: 'FINALIZED',
  status: 'SUCCESS',
  action: 'build-requested',
  eventId: '3465e151-a775-8a7f-8da5-ecb57eba9b63',
  receivedAt,
  detail: 'orzo.build.requested.v1 hello at abcdef1',
  ...extra,
});

for (const target of databaseMatrix()) {
  describe(`hook_delivery on ${target.name}`, () => {
    let db: Database | undefined;
    after(async () => {
      if (target.name === 'postgresql' && db) await db.em().execute(`drop schema if exists "${target.schema}" cascade`);
      await db?.close();
    });

    it('migrates, records a key once, and lists newest first by service', async () => {
      db = await Database.open({
        url: target.url(),
        schema: target.schema,
        entities: [HookDeliverySchema],
        migrations: [{ name: 'M20261125JenkinsHook', class: M20261125JenkinsHook }],
      });
      assert.deepEqual(await db.migrate(), ['M20261124ProcessedEvents', 'M20261125JenkinsHook']);
      const repo = new DeliveryRepository({ database: db } as DatabaseHolder);
      assert.equal(await repo.exists('jenkins:services-hello#42:FINALIZED'), false);
      assert.equal(await repo.insert(record('jenkins:services-hello#42:FINALIZED', '2026-11-25T10:00:00.000Z')), true);
      assert.equal(
        await repo.insert(record('jenkins:services-hello#42:FINALIZED', '2026-11-25T10:00:01.000Z')),
        false,
        'the same key again is a conflict, ignored',
      );
      assert.equal(await repo.exists('jenkins:services-hello#42:FINALIZED'), true);
      await repo.insert(
        record('jenkins:services-hello#43:STARTED', '2026-11-25T10:00:02.000Z', {
          number: 43,
          phase: 'STARTED',
          status: null,
          action: 'recorded',
          eventId: null,
        }),
      );
      await repo.insert(record('webhook:d-1', '2026-11-25T10:00:03.000Z', { service: 'web', job: null, number: null, phase: null, status: null }));
      assert.deepEqual(
        (await repo.list({ limit: 10 })).map((d) => d.key),
        ['webhook:d-1', 'jenkins:services-hello#43:STARTED', 'jenkins:services-hello#42:FINALIZED'],
      );
      const hello = await repo.list({ service: 'hello', limit: 1 });
      assert.deepEqual(hello, [
        record('jenkins:services-hello#43:STARTED', '2026-11-25T10:00:02.000Z', {
          number: 43,
          phase: 'STARTED',
          status: null,
          action: 'recorded',
          eventId: null,
        }),
      ]);
    });
  });
}
