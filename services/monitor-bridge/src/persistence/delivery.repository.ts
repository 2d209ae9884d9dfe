import { Injectable } from '@nestjs/common';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { MonitorDelivery, MonitorDeliverySchema } from './monitor.entities';

/** monitor_delivery: the per-sink outbox of alert events. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: DatabaseHolder) {}

  /** Queues one event for one sink, in the handler's transaction (a redelivered event adds nothing). */
  async enqueue(tx: EntityManager, d: Pick<MonitorDelivery, 'sink' | 'alertId' | 'eventId' | 'kind' | 'payload'>): Promise<void> {
    const now = new Date().toISOString();
    await tx.upsert(
      MonitorDeliverySchema,
      { ...d, attempts: 0, nextAttemptAt: now, deliveredAt: null, lastError: null, createdAt: now },
      { onConflictFields: ['eventId', 'sink'], onConflictAction: 'ignore' },
    );
  }

  /** The sink's undelivered events, oldest first (a sink gets them in order). */
  pending(sink: string, limit = 100): Promise<MonitorDelivery[]> {
    return this.db.database.em().find(MonitorDeliverySchema, { sink, deliveredAt: null }, { orderBy: { id: 'asc' }, limit, disableIdentityMap: true });
  }

  async markDelivered(ids: number[]): Promise<void> {
    if (ids.length)
      await this.db.database.em().nativeUpdate(MonitorDeliverySchema, { id: { $in: ids } }, { deliveredAt: new Date().toISOString(), lastError: null });
  }

  async markFailed(id: number, attempts: number, error: string, nextAttemptAt: Date): Promise<void> {
    await this.db.database
      .em()
      .nativeUpdate(MonitorDeliverySchema, { id }, { attempts, lastError: error.slice(0, 2000), nextAttemptAt: nextAttemptAt.toISOString() });
  }

  /** The deliveries of these alerts' latest events, for `orzo alerts` (sent where). */
  ofAlerts(alertIds: string[]): Promise<MonitorDelivery[]> {
    if (!alertIds.length) return Promise.resolve([]);
    return this.db.database.em().find(MonitorDeliverySchema, { alertId: { $in: alertIds } }, { orderBy: { id: 'asc' }, disableIdentityMap: true });
  }

  /** Drops delivered rows older than `before` (kept a while to answer "sent where"). */
  async prune(before: Date): Promise<number> {
    return this.db.database.em().nativeDelete(MonitorDeliverySchema, { deliveredAt: { $ne: null, $lt: before.toISOString() } });
  }
}
