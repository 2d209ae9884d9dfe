import { EntityRepositoryType, EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import { DeployInstanceRepository } from './deploy-instance.repository';

/**
 * The progress of one instance of a deploy (control_deploy_instance). The row with instance key
 * '*' is not an instance: it claims the pipeline's advance once every instance completed.
 */
export interface DeployInstance {
  deployId: string;
  /** "<cluster>.<instance>", or '*' for the advance claim. */
  instanceKey: string;
  /** failed: scheduler-bridge gave up on it (it keeps converging: a later completion wins). */
  state: 'requested' | 'completed' | 'failed';
  /** Why it failed (deploy.failed's reason and detail). */
  reason?: string | null;
  [PrimaryKeyProp]?: ['deployId', 'instanceKey'];
  [EntityRepositoryType]?: DeployInstanceRepository;
}

export const DeployInstanceSchema = new EntitySchema<DeployInstance>({
  name: 'DeployInstance',
  tableName: 'control_deploy_instance',
  repository: () => DeployInstanceRepository,
  properties: {
    deployId: { type: 'string', primary: true, fieldName: 'deploy_id', length: 64 },
    instanceKey: { type: 'string', primary: true, fieldName: 'instance_key', length: 300 },
    state: { type: 'string', length: 20 },
    reason: { type: 'text', nullable: true },
  },
});
