import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { BuildRepository } from './build.repository';

export type BuildState = 'requested' | 'running' | 'succeeded' | 'failed';

/** A build as the builder's events tell it (control_build), behind ListBuilds and `orzo logs --build`. */
export interface Build {
  buildId: string;
  service: string;
  commitSha: string;
  /** '' until an event names it. */
  image: string;
  state: BuildState;
  /** The step a failed build failed at. */
  step: string | null;
  error: string | null;
  requestedBy: string;
  requestedAt: string;
  finishedAt: string | null;
  updatedAt: string;
  [EntityRepositoryType]?: BuildRepository;
}

export const BuildSchema = new EntitySchema<Build>({
  name: 'Build',
  tableName: 'control_build',
  repository: () => BuildRepository,
  properties: {
    buildId: { type: 'string', primary: true, fieldName: 'build_id', length: 64 },
    service: { type: 'string', length: 100 },
    commitSha: { type: 'string', fieldName: 'commit_sha', length: 64 },
    image: { type: 'string', length: 500 },
    state: { type: 'string', length: 20 },
    step: { type: 'string', length: 500, nullable: true },
    error: { type: 'text', nullable: true },
    requestedBy: { type: 'string', fieldName: 'requested_by', length: 200 },
    requestedAt: { type: 'string', fieldName: 'requested_at', length: 40 },
    finishedAt: { type: 'string', fieldName: 'finished_at', length: 40, nullable: true },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
  },
  indexes: [{ name: 'control_build_service', properties: ['service', 'requestedAt'] }],
});
