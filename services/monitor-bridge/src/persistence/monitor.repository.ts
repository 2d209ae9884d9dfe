import { Injectable } from '@nestjs/common';
import { HealthcheckSpec, ReplicaRef } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { MonitorReplicaSchema, MonitorSpecSchema } from './monitor.entities';

/** A watched replica as stored: the replica and the registrations it serves. */
export interface StoredReplica {
  replica: ReplicaRef;
  registrations: string[];
}

/**
 * What monitor-bridge watches (monitor_spec, monitor_replica), so a restart resumes every
 * check. Writes run on the handler's transaction; reads on a fresh fork.
 */
@Injectable()
export class MonitorRepository {
  constructor(private readonly db: DatabaseHolder) {}

  /** Every stored health check, by instance key. */
  async specs(): Promise<Map<string, HealthcheckSpec>> {
    const rows = await this.db.database.em().find(MonitorSpecSchema, {}, { disableIdentityMap: true });
    return new Map(rows.map((r) => [r.instanceKey, HealthcheckSpec.fromJSON(JSON.parse(r.healthcheck))]));
  }

  async replicas(): Promise<StoredReplica[]> {
    const rows = await this.db.database.em().find(MonitorReplicaSchema, {}, { disableIdentityMap: true });
    return rows.map((r) => ({ replica: ReplicaRef.fromJSON(JSON.parse(r.replica)), registrations: JSON.parse(r.registrations) as string[] }));
  }

  async saveSpec(tx: EntityManager, instanceKey: string, healthcheck: HealthcheckSpec): Promise<void> {
    await tx.upsert(MonitorSpecSchema, { instanceKey, healthcheck: JSON.stringify(HealthcheckSpec.toJSON(healthcheck)) }, { onConflictAction: 'merge' });
  }

  async saveReplica(tx: EntityManager, replica: ReplicaRef, registrations: string[]): Promise<void> {
    await tx.upsert(
      MonitorReplicaSchema,
      { replicaId: replica.replicaId, replica: JSON.stringify(ReplicaRef.toJSON(replica)), registrations: JSON.stringify(registrations) },
      { onConflictAction: 'merge' },
    );
  }

  async forgetReplica(tx: EntityManager, replicaId: string): Promise<void> {
    await tx.nativeDelete(MonitorReplicaSchema, { replicaId });
  }
}
