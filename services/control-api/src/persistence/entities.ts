import { EntitySchema } from '@mikro-orm/core';

/** One mark-for-deployment: append-only history of who asked for which version where. */
export interface DeployMark {
  id: string;
  service: string;
  deployGroup: string;
  image: string;
  gitSha: string;
  requestedBy: string;
  reason: string;
  /** The deploy.requested event this mark published. */
  eventId: string;
  createdAt: string;
}

export const DeployMarkSchema = new EntitySchema<DeployMark>({
  name: 'DeployMark',
  tableName: 'control_deploy_mark',
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    service: { type: 'string', length: 100 },
    deployGroup: { type: 'string', fieldName: 'deploy_group', length: 200 },
    image: { type: 'string', length: 500 },
    gitSha: { type: 'string', fieldName: 'git_sha', length: 64 },
    requestedBy: { type: 'string', fieldName: 'requested_by', length: 200 },
    reason: { type: 'string', length: 200 },
    eventId: { type: 'string', fieldName: 'event_id', length: 64 },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
  },
});

/** Events written in the same transaction as the state they announce, then published. */
export interface OutboxEvent {
  id: string;
  subject: string;
  /** The complete wire body (envelope + payload JSON). */
  body: string;
  createdAt: string;
  publishedAt?: string | null;
}

export const OutboxEventSchema = new EntitySchema<OutboxEvent>({
  name: 'OutboxEvent',
  tableName: 'control_outbox',
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    subject: { type: 'string', length: 200 },
    body: { type: 'text' },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
    publishedAt: { type: 'string', fieldName: 'published_at', length: 40, nullable: true },
  },
});

/** The read model of replicas, built from instance.* events. */
export interface ReplicaView {
  replicaId: string;
  service: string;
  instance: string;
  cluster: string;
  host: string;
  port: number;
  gitSha: string;
  configHash: string;
  state: string;
  updatedAt: string;
}

export const ReplicaViewSchema = new EntitySchema<ReplicaView>({
  name: 'ReplicaView',
  tableName: 'control_replica',
  properties: {
    replicaId: { type: 'string', primary: true, fieldName: 'replica_id', length: 100 },
    service: { type: 'string', length: 100 },
    instance: { type: 'string', length: 100 },
    cluster: { type: 'string', length: 100 },
    host: { type: 'string', length: 100 },
    port: { type: 'integer' },
    gitSha: { type: 'string', fieldName: 'git_sha', length: 64 },
    configHash: { type: 'string', fieldName: 'config_hash', length: 40 },
    state: { type: 'string', length: 40 },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
  },
});

export const CONTROL_API_ENTITIES = [DeployMarkSchema, OutboxEventSchema, ReplicaViewSchema];
