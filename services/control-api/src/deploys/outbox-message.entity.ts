import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { OutboxRepository } from './outbox.repository';

/** An event written in the same transaction as the change it announces (control_outbox). */
export interface OutboxMessage {
  /** The event id. */
  id: string;
  subject: string;
  /** The encoded event (envelope and payload), as UTF-8 text. */
  body: string;
  createdAt: string;
  publishedAt: string | null;
  [EntityRepositoryType]?: OutboxRepository;
}

export const OutboxMessageSchema = new EntitySchema<OutboxMessage>({
  name: 'OutboxMessage',
  tableName: 'control_outbox',
  repository: () => OutboxRepository,
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    subject: { type: 'string', length: 200 },
    body: { type: 'text' },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
    publishedAt: { type: 'string', fieldName: 'published_at', length: 40, nullable: true },
  },
  indexes: [{ name: 'control_outbox_unpublished', properties: ['publishedAt', 'createdAt'] }],
});
