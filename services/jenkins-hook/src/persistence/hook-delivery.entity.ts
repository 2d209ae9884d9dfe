import { EntitySchema } from '@orzo/persistence';
import type { DeliveryAction } from '../delivery';

/** One webhook delivery jenkins-hook accepted, keyed by its de-duplication key. */
export interface HookDelivery {
  key: string;
  service: string;
  job: string | null;
  buildNumber: number | null;
  phase: string | null;
  status: string | null;
  action: DeliveryAction;
  eventId: string | null;
  /** ISO-8601 UTC: text order is time order on both dialects. */
  receivedAt: string;
  detail: string;
}

export const HookDeliverySchema = new EntitySchema<HookDelivery>({
  name: 'HookDelivery',
  tableName: 'hook_delivery',
  properties: {
    key: { type: 'string', primary: true, length: 400 },
    service: { type: 'string', length: 200 },
    job: { type: 'string', length: 200, nullable: true },
    buildNumber: { type: 'integer', fieldName: 'build_number', nullable: true },
    phase: { type: 'string', length: 40, nullable: true },
    status: { type: 'string', length: 40, nullable: true },
    action: { type: 'string', length: 40 },
    eventId: { type: 'string', fieldName: 'event_id', length: 64, nullable: true },
    receivedAt: { type: 'string', fieldName: 'received_at', length: 40 },
    detail: { type: 'text' },
  },
  indexes: [
    { name: 'hook_delivery_received', properties: ['receivedAt'] },
    { name: 'hook_delivery_service', properties: ['service', 'receivedAt'] },
  ],
});
