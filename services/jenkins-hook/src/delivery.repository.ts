import { Injectable } from '@nestjs/common';
import { DatabaseHolder } from '@orzo/persistence';
import { DeliveryAction } from './delivery';

/** One recorded delivery, as GET /v1/jenkins/notifications shows it. */
export interface DeliveryRecord {
  key: string;
  service: string;
  job: string | null;
  number: number | null;
  phase: string | null;
  status: string | null;
  action: DeliveryAction;
  eventId: string | null;
  receivedAt: string;
  detail: string;
}

interface DeliveryRow {
  key: string;
  service: string;
  job: string | null;
  build_number: number | string | null;
  phase: string | null;
  status: string | null;
  action: DeliveryAction;
  event_id: string | null;
  received_at: string;
  detail: string;
}

/** The hook_delivery table: which deliveries were accepted, so a repeat changes nothing. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: DatabaseHolder) {}

  async exists(key: string): Promise<boolean> {
    const rows = await this.db.database.em().execute<{ key: string }[]>('select key from hook_delivery where key = ?', [key]);
    return rows.length > 0;
  }

  /** Records a delivery; false when its key was already recorded (a concurrent repeat). */
  async insert(record: DeliveryRecord): Promise<boolean> {
    const rows = await this.db.database
      .em()
      .execute<{ key: string }[]>(
        'insert into hook_delivery (key, service, job, build_number, phase, status, action, event_id, received_at, detail) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (key) do nothing returning key',
        [record.key, record.service, record.job, record.number, record.phase, record.status, record.action, record.eventId, record.receivedAt, record.detail],
        'all',
      );
    return rows.length > 0;
  }

  /** Newest first; `service` filters when given. */
  async list(options: { service?: string; limit: number }): Promise<DeliveryRecord[]> {
    const where = options.service ? 'where service = ?' : '';
    const params: Array<string | number> = options.service ? [options.service, options.limit] : [options.limit];
    const rows = await this.db.database
      .em()
      .execute<DeliveryRow[]>(
        `select key, service, job, build_number, phase, status, action, event_id, received_at, detail from hook_delivery ${where} order by received_at desc, key desc limit ?`,
        params,
      );
    return rows.map((r) => ({
      key: r.key,
      service: r.service,
      job: r.job,
      number: r.build_number === null ? null : Number(r.build_number),
      phase: r.phase,
      status: r.status,
      action: r.action,
      eventId: r.event_id,
      receivedAt: r.received_at,
      detail: r.detail,
    }));
  }
}
