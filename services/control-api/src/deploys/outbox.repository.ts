import { EntityRepository } from '@mikro-orm/knex';
import { EnvelopeMeta, EventMap, Subject, encodeEvent } from '@orzo/contracts';
import type { OutboxMessage } from './outbox-message.entity';

/** control_outbox, on the EntityManager it came from. */
export class OutboxRepository extends EntityRepository<OutboxMessage> {
  /** Queues an event; it goes out when the caller's transaction has committed. */
  async enqueue<S extends Subject>(envelope: EnvelopeMeta & { type: S }, payload: EventMap[S]): Promise<void> {
    await this.insert({
      id: envelope.id,
      subject: envelope.type,
      body: Buffer.from(encodeEvent(envelope, payload)).toString('utf8'),
      createdAt: new Date().toISOString(),
      publishedAt: null,
    });
  }

  /** Every event not published yet, oldest first. */
  pending(): Promise<OutboxMessage[]> {
    return this.find({ publishedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async markPublished(id: string): Promise<void> {
    await this.nativeUpdate({ id }, { publishedAt: new Date().toISOString() });
  }
}
