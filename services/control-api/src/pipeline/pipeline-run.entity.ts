import { EntityRepositoryType, EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import { PipelineRunRepository } from './pipeline-run.repository';

/** A started pipeline (control_pipeline_run): one per (service, commit), however many images of it are announced. */
export interface PipelineRun {
  service: string;
  gitSha: string;
  image: string;
  startedAt: string;
  [PrimaryKeyProp]?: ['service', 'gitSha'];
  [EntityRepositoryType]?: PipelineRunRepository;
}

export const PipelineRunSchema = new EntitySchema<PipelineRun>({
  name: 'PipelineRun',
  tableName: 'control_pipeline_run',
  repository: () => PipelineRunRepository,
  properties: {
    service: { type: 'string', primary: true, length: 100 },
    gitSha: { type: 'string', primary: true, fieldName: 'git_sha', length: 64 },
    image: { type: 'string', length: 500 },
    startedAt: { type: 'string', fieldName: 'started_at', length: 40 },
  },
});
