import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AlertRaised } from '@orzo/contracts';
import { Database, DatabaseHolder } from '@orzo/persistence';
import { databaseMatrix } from '@orzo/testing';
import { CheckStatus } from '../src/checks/check-result';
import { monitorBridge } from '../src/definition';
import { AlertRepository } from '../src/persistence/alert.repository';
import { DeliveryRepository } from '../src/persistence/delivery.repository';

for (const target of databaseMatrix()) {
  describe(`monitor-bridge alert state and per-sink outbox on ${target.name}`, () => {
    let db: Database;
    let deliveries: DeliveryRepository;
    let alerts: AlertRepository;
    before(async () => {
      db = await Database.open({ url: target.url(), schema: target.schema, ...monitorBridge.persistence });
      await db.migrate();
      const holder = { database: db } as unknown as DatabaseHolder;
      deliveries = new DeliveryRepository(holder);
      alerts = new AlertRepository(holder);
    });
    after(async () => {
      if (target.name === 'postgresql') await db?.em().execute(`drop schema if exists "${target.schema}" cascade`);
      await db?.close();
    });

    it('queues an event once per sink however often it is handled, and hands each sink its rows in order', async () => {
      const row = (eventId: string, sink: string) => ({ sink, alertId: 'local/a', eventId, kind: 'raised', payload: '{}' });
      for (let i = 0; i < 2; i++)
        await db.em().transactional(async (tx) => {
          await deliveries.enqueue(tx, row('e1', 'alertmanager'));
          await deliveries.enqueue(tx, row('e1', 'webhook'));
          await deliveries.enqueue(tx, row('e2', 'alertmanager'));
        });
      const am = await deliveries.pending('alertmanager');
      assert.deepEqual(
        am.map((d) => d.eventId),
        ['e1', 'e2'],
      );
      assert.equal((await deliveries.pending('webhook')).length, 1);
      const retryAt = new Date(Date.now() + 60_000);
      await deliveries.markFailed(am[0]!.id!, 1, 'ECONNREFUSED', retryAt);
      const failed = (await deliveries.pending('alertmanager'))[0]!;
      assert.deepEqual([failed.attempts, failed.lastError, failed.nextAttemptAt], [1, 'ECONNREFUSED', retryAt.toISOString()]);
      await deliveries.markDelivered(am.map((d) => d.id!));
      assert.equal((await deliveries.pending('alertmanager')).length, 0);
      assert.equal((await deliveries.ofAlerts(['local/a'])).filter((d) => d.deliveredAt).length, 2, 'kept to say where it went');
      assert.equal(await deliveries.prune(new Date(Date.now() + 1_000)), 2, 'delivered rows go once old enough; pending ones stay');
      assert.equal((await deliveries.pending('webhook')).length, 1);
    });

    it('keeps an alert state and what was last raised across a restart', async () => {
      const raised = AlertRaised.fromPartial({ alertId: 'local/check', check: 'check', service: 'web', team: 'infra', slackChannels: ['#a'], repeat: 2 });
      const state = { status: CheckStatus.CRITICAL, output: 'bad', failingSince: 1, raisedAt: 2, firingRuns: 3, lastAlertAt: 2, repeats: 2, seq: 3 };
      await alerts.save({ alertId: 'local/check', service: 'web', state, raised });
      await alerts.save({ alertId: 'local/check', service: 'web', state: { ...state, seq: 4 }, raised });
      const all = await alerts.all();
      assert.equal(all.length, 1);
      assert.deepEqual(all[0]!.state, { ...state, seq: 4 });
      assert.deepEqual(all[0]!.raised, raised);
    });
  });
}
