import { Injectable } from '@nestjs/common';
import { InstanceSpec } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { DesiredInstanceRow, DesiredInstanceSchema } from '../persistence/desired-instance.entity';

export interface DesiredInstance {
  key: string;
  deployId: string;
  spec: InstanceSpec;
  completedDeployId?: string;
}

export function instanceKey(s: Pick<InstanceSpec, 'service' | 'cluster' | 'instance'>): string {
  return `${s.service}/${s.cluster}/${s.instance}`;
}

/**
 * Durable desired state: the latest spec of each instance, kept in the bridge's database.
 * Writes from handlers run on the consumer's transaction; reads and the completion mark
 * run on a fresh fork each, so no identity map outlives its unit of work.
 */
@Injectable()
export class DesiredStateRepository {
  constructor(private readonly db: DatabaseHolder) {}

  private em(): EntityManager {
    return this.db.database.em();
  }

  /** Replaces the instance's desired spec; a new deploy is not completed yet. */
  async save(tx: EntityManager, deployId: string, spec: InstanceSpec, at: string): Promise<void> {
    await tx.upsert(
      DesiredInstanceSchema,
      { instanceKey: instanceKey(spec), deployId, spec: JSON.stringify(InstanceSpec.toJSON(spec)), completedDeployId: null, updatedAt: at },
      { onConflictAction: 'merge' },
    );
  }

  async get(key: string): Promise<DesiredInstance | undefined> {
    const row = await this.em().findOne(DesiredInstanceSchema, { instanceKey: key }, { disableIdentityMap: true });
    return row ? toDesired(row) : undefined;
  }

  async all(): Promise<DesiredInstance[]> {
    return (await this.em().find(DesiredInstanceSchema, {}, { orderBy: { instanceKey: 'asc' }, disableIdentityMap: true })).map(toDesired);
  }

  /** Marks the instance's deploy completed; false when it was already marked or a newer deploy replaced it. */
  async markCompleted(key: string, deployId: string): Promise<boolean> {
    const changed = await this.em().nativeUpdate(
      DesiredInstanceSchema,
      { instanceKey: key, deployId, $or: [{ completedDeployId: null }, { completedDeployId: { $ne: deployId } }] },
      { completedDeployId: deployId },
    );
    return changed > 0;
  }
}

function toDesired(r: DesiredInstanceRow): DesiredInstance {
  return { key: r.instanceKey, deployId: r.deployId, spec: InstanceSpec.fromJSON(JSON.parse(r.spec)), completedDeployId: r.completedDeployId ?? undefined };
}
