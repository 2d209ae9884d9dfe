import { Injectable } from '@nestjs/common';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { HookDelivery, HookDeliverySchema } from './hook-delivery.entity';

/** One recorded delivery, as GET /v1/jenkins/notifications shows it (the build number as `number`). */
export type DeliveryRecord = Omit<HookDelivery, 'buildNumber'> & { number: number | null };

/** The hook_delivery table: which deliveries were accepted, so a repeat changes nothing. Each call is its own unit of work. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: DatabaseHolder) {}

  private em(): EntityManager {
    return this.db.database.em();
  }

  async exists(key: string): Promise<boolean> {
    return (await this.em().count(HookDeliverySchema, { key })) > 0;
  }

  /** Records a delivery; false when its key was already recorded (a concurrent repeat). */
  async insert(record: DeliveryRecord): Promise<boolean> {
    const { number, ...rest } = record;
    // ON CONFLICT DO NOTHING: of two concurrent repeats exactly one inserts, without an error to catch.
    const res = await this.em()
      .createQueryBuilder(HookDeliverySchema)
      .insert({ ...rest, buildNumber: number })
      .onConflict('key')
      .ignore()
      .execute('run');
    return res.affectedRows > 0;
  }

  /** Newest first; `service` filters when given. */
  async list(options: { service?: string; limit: number }): Promise<DeliveryRecord[]> {
    const rows = await this.em().find(HookDeliverySchema, options.service ? { service: options.service } : {}, {
      orderBy: { receivedAt: 'desc', key: 'desc' },
      limit: options.limit,
      disableIdentityMap: true,
    });
    return rows.map(toRecord);
  }
}

function toRecord({ buildNumber, ...r }: HookDelivery): DeliveryRecord {
  return { ...r, number: buildNumber === null ? null : Number(buildNumber) };
}
