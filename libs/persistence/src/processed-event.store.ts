import { EntityManager as SqlEntityManager } from '@mikro-orm/knex';
import type { IdempotencyStore, IdempotentItem, IdempotentResult } from '@orzo/bus';
import { Database } from './database';
import { ProcessedEventSchema } from './processed-event.entity';

/**
 * The IdempotencyStore on the orzo_processed_event table. A batch runs in one transaction:
 * it claims all its event ids with one INSERT .. ON CONFLICT DO NOTHING RETURNING, runs the
 * effects of the newly claimed ones, and commits marks and effects together. If any effect
 * throws, the batch is rolled back and retried one event per transaction, so one bad event
 * cannot hold back the others.
 */
export class ProcessedEventStore implements IdempotencyStore {
  constructor(private readonly db: Database) {}

  async apply(consumer: string, items: readonly IdempotentItem[]): Promise<IdempotentResult[]> {
    if (items.length === 0) return [];
    if (items.length > 1) {
      try {
        return await this.db.em().transactional((em) => this.applyInTx(em as SqlEntityManager, consumer, items, true));
      } catch {
        // fall through: one transaction per event
      }
    }
    const results: IdempotentResult[] = [];
    for (const item of items) {
      try {
        results.push(...(await this.db.em().transactional((em) => this.applyInTx(em as SqlEntityManager, consumer, [item], true))));
      } catch (error) {
        results.push({ status: 'failed', error });
      }
    }
    return results;
  }

  /** Whether (consumer, eventId) is recorded as processed. */
  async isProcessed(consumer: string, eventId: string): Promise<boolean> {
    return (await this.db.em().count(ProcessedEventSchema, { consumer, eventId })) > 0;
  }

  /** Deletes marks older than `before`; redeliveries come within minutes, not days. */
  async prune(before: Date): Promise<number> {
    return this.db.em().nativeDelete(ProcessedEventSchema, { processedAt: { $lt: before.toISOString() } });
  }

  private async applyInTx(em: SqlEntityManager, consumer: string, items: readonly IdempotentItem[], rethrow: boolean): Promise<IdempotentResult[]> {
    const claimed = await this.claim(em, consumer, items);
    const results: IdempotentResult[] = [];
    for (const item of items) {
      // A second copy of the same id in one batch is a duplicate of the first.
      if (!claimed.delete(item.eventId)) {
        results.push({ status: 'duplicate' });
        continue;
      }
      try {
        await item.effect(em);
      } catch (error) {
        if (rethrow) throw error;
        results.push({ status: 'failed', error });
        continue;
      }
      results.push({ status: 'applied' });
    }
    return results;
  }

  /**
   * Inserts the marks of a whole batch with one statement and 4 parameters (the ids travel as
   * one JSON array), returning the ids that were not there yet: per-parameter overhead in the
   * driver layers dominated a plain multi-row VALUES list. Raw SQL on purpose: this is the hot
   * path of every consumer, and neither em.insertMany nor the query builder can express
   * INSERT .. SELECT FROM json_each / json_array_elements .. ON CONFLICT DO NOTHING RETURNING.
   */
  private async claim(em: SqlEntityManager, consumer: string, items: readonly IdempotentItem[]): Promise<Set<string>> {
    const now = new Date().toISOString();
    const rows = JSON.stringify([...new Map(items.map((i) => [i.eventId, [i.eventId, i.subject]])).values()]);
    const select =
      this.db.target.kind === 'postgresql'
        ? 'select ?, x->>0, x->>1, ? from json_array_elements(?::json) as x'
        : "select ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? from json_each(?) where true";
    const claimed = await em.execute<{ event_id: string }[]>(
      `insert into orzo_processed_event (consumer, event_id, subject, processed_at) ${select} on conflict do nothing returning event_id`,
      [consumer, now, rows],
      'all',
    );
    return new Set(claimed.map((r) => r.event_id));
  }
}

/** The transactional entity manager a handler receives in ctx.tx. */
export function transactionOf(ctx: { tx?: unknown }): SqlEntityManager {
  if (!ctx.tx) throw new Error('this handler has no transaction: subscribe it with an idempotency store bound');
  return ctx.tx as SqlEntityManager;
}
