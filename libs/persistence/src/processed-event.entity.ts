import { EntitySchema } from '@mikro-orm/core';

/** One row per (consumer, event) whose effects were committed: the exactly-once ledger. */
export interface ProcessedEvent {
  consumer: string;
  eventId: string;
  subject: string;
  /** ISO-8601 UTC, so that text order is time order on both dialects. */
  processedAt: string;
}

export const ProcessedEventSchema = new EntitySchema<ProcessedEvent>({
  name: 'ProcessedEvent',
  tableName: 'orzo_processed_event',
  properties: {
    consumer: { type: 'string', primary: true, length: 200 },
    eventId: { type: 'string', primary: true, fieldName: 'event_id', length: 100 },
    subject: { type: 'string', length: 200 },
    processedAt: { type: 'string', fieldName: 'processed_at', length: 40 },
  },
  indexes: [{ name: 'orzo_processed_event_at', properties: ['processedAt'] }],
});
