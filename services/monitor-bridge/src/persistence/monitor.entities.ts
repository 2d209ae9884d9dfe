import { EntitySchema } from '@orzo/persistence';

/** The health check of one instance (HealthcheckSpec as proto JSON). */
export interface MonitorSpec {
  instanceKey: string;
  healthcheck: string;
}

/** One replica being watched (ReplicaRef as proto JSON) and the registrations it serves. */
export interface MonitorReplica {
  replicaId: string;
  replica: string;
  /** JSON array of registration names. */
  registrations: string;
}

export const MonitorSpecSchema = new EntitySchema<MonitorSpec>({
  name: 'MonitorSpec',
  tableName: 'monitor_spec',
  properties: {
    instanceKey: { type: 'string', primary: true, fieldName: 'instance_key', length: 300 },
    healthcheck: { type: 'text' },
  },
});

export const MonitorReplicaSchema = new EntitySchema<MonitorReplica>({
  name: 'MonitorReplica',
  tableName: 'monitor_replica',
  properties: {
    replicaId: { type: 'string', primary: true, fieldName: 'replica_id', length: 100 },
    replica: { type: 'text' },
    registrations: { type: 'text' },
  },
});
