import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { InstanceProgressRepository } from './instance-progress.repository';

/**
 * The latest deploy.progressed of one instance (control_instance_progress), behind the reason
 * and problems of `orzo status`: a bounce's progress, or engine errors on single replicas that
 * scheduler-bridge keeps retrying.
 */
export interface InstanceProgress {
  /** service/cluster/instance */
  instanceKey: string;
  service: string;
  cluster: string;
  instance: string;
  deployId: string;
  phase: string;
  message: string;
  ready: number;
  desired: number;
  /** The event's ReplicaProblem list, as JSON. */
  problems: string;
  /** When the event happened: an older one never overwrites a newer one. */
  updatedAt: string;
  [EntityRepositoryType]?: InstanceProgressRepository;
}

export const InstanceProgressSchema = new EntitySchema<InstanceProgress>({
  name: 'InstanceProgress',
  tableName: 'control_instance_progress',
  repository: () => InstanceProgressRepository,
  properties: {
    instanceKey: { type: 'string', primary: true, fieldName: 'instance_key', length: 300 },
    service: { type: 'string', length: 100 },
    cluster: { type: 'string', length: 100 },
    instance: { type: 'string', length: 100 },
    deployId: { type: 'string', fieldName: 'deploy_id', length: 100 },
    phase: { type: 'string', length: 40 },
    message: { type: 'text' },
    ready: { type: 'integer' },
    desired: { type: 'integer' },
    problems: { type: 'text' },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
  },
  indexes: [{ name: 'control_instance_progress_service', properties: ['service'] }],
});
