import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { HistoryRepository } from './history.repository';

export type HistoryKind =
  | 'mark'
  | 'promote'
  | 'skip'
  | 'step'
  | 'wait'
  | 'build'
  | 'blocked'
  | 'failed'
  | 'done'
  | 'rollback'
  | 'stop'
  | 'start'
  | 'scale'
  | 'restart'
  | 'secret'
  | 'config';

/** One line of a service's append-only history (control_history): marks, promotions, skips, waits. */
export interface HistoryEntry {
  /** `<at>#<sequence>#<random>`: orders entries written in the same millisecond as they were written. */
  id: string;
  service: string;
  at: string;
  kind: HistoryKind;
  deployGroup: string;
  gitSha: string;
  detail: string;
  actor: string;
  [EntityRepositoryType]?: HistoryRepository;
}

export const HistoryEntrySchema = new EntitySchema<HistoryEntry>({
  name: 'HistoryEntry',
  tableName: 'control_history',
  repository: () => HistoryRepository,
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    service: { type: 'string', length: 100 },
    at: { type: 'string', length: 40 },
    kind: { type: 'string', length: 20 },
    deployGroup: { type: 'string', fieldName: 'deploy_group', length: 200 },
    gitSha: { type: 'string', fieldName: 'git_sha', length: 64 },
    detail: { type: 'text' },
    actor: { type: 'string', length: 200 },
  },
  indexes: [{ name: 'control_history_service', properties: ['service', 'at'] }],
});
