import { Injectable } from '@nestjs/common';
import { HealthcheckSpec, InstanceSpec, ReplicaRef } from '@orzo/contracts';
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

  /** Every stored instance by key: its health check and (rows from before it: absent) its whole spec. */
  async specs(): Promise<Map<string, { healthcheck: HealthcheckSpec; spec?: InstanceSpec }>> {
    const rows = await this.db.database.em().find(MonitorSpecSchema, {}, { disableIdentityMap: true });
    return new Map(
      rows.map((r) => [
        r.instanceKey,
        { healthcheck: HealthcheckSpec.fromJSON(JSON.parse(r.healthcheck)), spec: r.spec ? InstanceSpec.fromJSON(JSON.parse(r.spec)) : undefined },
      ]),
    );
  }

  async replicas(): Promise<StoredReplica[]> {
    const rows = await this.db.database.em().find(MonitorReplicaSchema, {}, { disableIdentityMap: true });
    return rows.map((r) => ({ replica: ReplicaRef.fromJSON(JSON.parse(r.replica)), registrations: JSON.parse(r.registrations) as string[] }));
  }

  async saveSpec(tx: EntityManager, instanceKey: string, spec: InstanceSpec): Promise<void> {
    await tx.upsert(
      MonitorSpecSchema,
      {
        instanceKey,
        healthcheck: JSON.stringify(HealthcheckSpec.toJSON(spec.healthcheck ?? HealthcheckSpec.fromPartial({ mode: 'none' }))),
        spec: JSON.stringify(InstanceSpec.toJSON(spec)),
      },
      { onConflictAction: 'merge' },
    );
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
