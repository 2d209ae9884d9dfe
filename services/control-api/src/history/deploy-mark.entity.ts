import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { DeployMarkRepository } from './deploy-mark.repository';

/**
 * One mark of a deploy group (control_deploy_mark), append-only: the latest mark of a group is
 * its desired version, the older ones are its deployment history. The id is the deploy id.
 */
export interface DeployMark {
  id: string;
  service: string;
  deployGroup: string;
  image: string;
  gitSha: string;
  requestedBy: string;
  /** mark-for-deployment | pipeline | rollback | auto-rollback */
  reason: string;
  /** Go back to the group's previous version if this deploy fails (deploy.yaml auto_rollback or --auto-rollback). */
  autoRollback?: boolean;
  /** The id of the deploy.requested event that carried it. */
  eventId: string;
  createdAt: string;
  [EntityRepositoryType]?: DeployMarkRepository;
}

export const DeployMarkSchema = new EntitySchema<DeployMark>({
  name: 'DeployMark',
  tableName: 'control_deploy_mark',
  repository: () => DeployMarkRepository,
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    service: { type: 'string', length: 100 },
    deployGroup: { type: 'string', fieldName: 'deploy_group', length: 200 },
    image: { type: 'string', length: 500 },
    gitSha: { type: 'string', fieldName: 'git_sha', length: 64 },
    requestedBy: { type: 'string', fieldName: 'requested_by', length: 200 },
    reason: { type: 'string', length: 200 },
    autoRollback: { type: 'boolean', fieldName: 'auto_rollback', default: false },
    eventId: { type: 'string', fieldName: 'event_id', length: 64 },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
  },
  indexes: [{ name: 'control_deploy_mark_group', properties: ['service', 'deployGroup', 'createdAt'] }],
});
