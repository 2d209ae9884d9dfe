import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { ReplicaRepository } from './replica.repository';

/** One running replica as the instance events tell it (control_replica), behind `orzo status`. */
export interface Replica {
  replicaId: string;
  service: string;
  instance: string;
  cluster: string;
  host: string;
  port: number;
  gitSha: string;
  configHash: string;
  /** Starting | Healthy | Not Ready | Terminating (status.service.ts derives Warning and Failed) */
  state: string;
  /** The last health check output, or why it is drained. */
  detail: string;
  /** Consecutive failed health checks when it turned Not Ready. */
  failures: number;
  /** The restart generation it was started under, from instance.started ('' = none). */
  forceBounce: string;
  /** When the event that set this state happened. */
  updatedAt: string;
  [EntityRepositoryType]?: ReplicaRepository;
}

export const ReplicaSchema = new EntitySchema<Replica>({
  name: 'Replica',
  tableName: 'control_replica',
  repository: () => ReplicaRepository,
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
    detail: { type: 'text', default: '' },
    failures: { type: 'integer', default: 0 },
    forceBounce: { type: 'string', fieldName: 'force_bounce', length: 100, default: '' },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
  },
  indexes: [{ name: 'control_replica_service', properties: ['service'] }],
});
