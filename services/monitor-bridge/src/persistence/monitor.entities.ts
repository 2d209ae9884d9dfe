import { EntitySchema } from '@orzo/persistence';

/** The health check of one instance (HealthcheckSpec as proto JSON) and its whole InstanceSpec. */
export interface MonitorSpec {
  instanceKey: string;
  healthcheck: string;
  /** InstanceSpec as proto JSON (replicas, monitoring, registrations); null in rows from before it. */
  spec: string | null;
}

/** One alert (a check on an instance): where it stands, and what was last raised while it fires. */
export interface MonitorAlert {
  alertId: string;
  service: string;
  /** AlertState as JSON. */
  state: string;
  /** The AlertRaised last published (proto JSON) while it fires; null otherwise. */
  raised: string | null;
  updatedAt: string;
}

/** One alert event to deliver to one sink (the per-sink outbox), kept a day after delivery. */
export interface MonitorDelivery {
  id?: number;
  sink: string;
  alertId: string;
  eventId: string;
  /** raised | resolved */
  kind: string;
  /** AlertRaised or AlertResolved, proto JSON. */
  payload: string;
  attempts: number;
  nextAttemptAt: string;
  deliveredAt: string | null;
  lastError: string | null;
  createdAt: string;
}

export const MonitorAlertSchema = new EntitySchema<MonitorAlert>({
  name: 'MonitorAlert',
  tableName: 'monitor_alert',
  properties: {
    alertId: { type: 'string', primary: true, fieldName: 'alert_id', length: 300 },
    service: { type: 'string', length: 100 },
    state: { type: 'text' },
    raised: { type: 'text', nullable: true },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
  },
});

export const MonitorDeliverySchema = new EntitySchema<MonitorDelivery>({
  name: 'MonitorDelivery',
  tableName: 'monitor_delivery',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    sink: { type: 'string', length: 30 },
    alertId: { type: 'string', fieldName: 'alert_id', length: 300 },
    eventId: { type: 'string', fieldName: 'event_id', length: 400 },
    kind: { type: 'string', length: 10 },
    payload: { type: 'text' },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'string', fieldName: 'next_attempt_at', length: 40 },
    deliveredAt: { type: 'string', fieldName: 'delivered_at', length: 40, nullable: true },
    lastError: { type: 'text', fieldName: 'last_error', nullable: true },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
  },
  indexes: [
    { name: 'monitor_delivery_pending', properties: ['sink', 'deliveredAt', 'id'] },
    { name: 'monitor_delivery_alert', properties: ['alertId'] },
  ],
  uniques: [{ name: 'monitor_delivery_event_sink', properties: ['eventId', 'sink'] }],
});

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
    spec: { type: 'text', nullable: true },
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

/**
 * One timed job as its latest job.desired said (JobSpec as proto JSON), and when it last
 * succeeded: what check_that_every_day_has_a_successful_run needs across restarts.
 */
export interface MonitorJob {
  /** "<cluster>/<service>.<job>" */
  jobKey: string;
  service: string;
  cluster: string;
  spec: string;
  /** When its last run succeeded (RFC 3339); '' never seen one. */
  lastSuccessAt: string;
  /** Since when monitor-bridge knows the job: the 24 h of a job that never succeeded count from here. */
  trackedSince: string;
}

export const MonitorJobSchema = new EntitySchema<MonitorJob>({
  name: 'MonitorJob',
  tableName: 'monitor_job',
  properties: {
    jobKey: { type: 'string', primary: true, fieldName: 'job_key', length: 300 },
    service: { type: 'string', length: 100 },
    cluster: { type: 'string', length: 100 },
    spec: { type: 'text' },
    lastSuccessAt: { type: 'string', fieldName: 'last_success_at', length: 40 },
    trackedSince: { type: 'string', fieldName: 'tracked_since', length: 40 },
  },
  indexes: [{ name: 'monitor_job_service', properties: ['service', 'cluster'] }],
});
