import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { RollbackRepository } from './rollback.repository';

/**
 * One rollback of a deploy group (control_rollback), append-only: PaaSTA's rollback tag. The
 * sha rolled back from is bad: the pipeline never deploys it again (a person still can, with
 * mark-for-deployment). The id is the deploy id of the mark that went back.
 */
export interface Rollback {
  id: string;
  service: string;
  deployGroup: string;
  badGitSha: string;
  toGitSha: string;
  requestedBy: string;
  /** manual, or auto: <why the deploy failed> */
  reason: string;
  at: string;
  [EntityRepositoryType]?: RollbackRepository;
}

export const RollbackSchema = new EntitySchema<Rollback>({
  name: 'Rollback',
  tableName: 'control_rollback',
  repository: () => RollbackRepository,
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    service: { type: 'string', length: 100 },
    deployGroup: { type: 'string', fieldName: 'deploy_group', length: 200 },
    badGitSha: { type: 'string', fieldName: 'bad_git_sha', length: 64 },
    toGitSha: { type: 'string', fieldName: 'to_git_sha', length: 64 },
    requestedBy: { type: 'string', fieldName: 'requested_by', length: 200 },
    reason: { type: 'text' },
    at: { type: 'string', length: 40 },
  },
  indexes: [{ name: 'control_rollback_service', properties: ['service', 'at'] }],
});
