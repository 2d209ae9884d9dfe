import { EntitySchema } from '@orzo/persistence';

export type BuildState = 'queued' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One build the builder was asked for, its outcome, and whether that outcome was announced. */
export interface Build {
  id: string;
  service: string;
  commitSha: string;
  gitUrl: string;
  dockerfile: string;
  context: string;
  /** JSON object of build arguments. */
  buildArgs: string;
  /** 1 = rebuild even when the image exists (an integer column on both dialects). */
  force: number;
  skipPipeline: number;
  requestedBy: string;
  correlationId: string;
  image: string;
  state: BuildState;
  /** The build of the same commit this one waits for. */
  follows: string | null;
  step: string | null;
  error: string | null;
  /** JSON array of the last log lines. */
  logTail: string | null;
  imageId: string | null;
  digest: string | null;
  /** The id the outcome event carries, kept across retries of its announcement. */
  resultEventId: string | null;
  resultPublished: number;
  /** ISO-8601 UTC timestamps: text order is time order on both dialects. */
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const BuildSchema = new EntitySchema<Build>({
  name: 'Build',
  tableName: 'builder_build',
  properties: {
    id: { type: 'string', primary: true, length: 64 },
    service: { type: 'string', length: 100 },
    commitSha: { type: 'string', fieldName: 'commit_sha', length: 64 },
    gitUrl: { type: 'string', fieldName: 'git_url', length: 1000 },
    dockerfile: { type: 'string', length: 500 },
    context: { type: 'string', length: 500 },
    buildArgs: { type: 'text', fieldName: 'build_args' },
    force: { type: 'integer' },
    skipPipeline: { type: 'integer', fieldName: 'skip_pipeline' },
    requestedBy: { type: 'string', fieldName: 'requested_by', length: 200 },
    correlationId: { type: 'string', fieldName: 'correlation_id', length: 64 },
    image: { type: 'string', length: 500 },
    state: { type: 'string', length: 20 },
    follows: { type: 'string', length: 64, nullable: true },
    step: { type: 'string', length: 500, nullable: true },
    error: { type: 'text', nullable: true },
    logTail: { type: 'text', fieldName: 'log_tail', nullable: true },
    imageId: { type: 'string', fieldName: 'image_id', length: 100, nullable: true },
    digest: { type: 'string', length: 100, nullable: true },
    resultEventId: { type: 'string', fieldName: 'result_event_id', length: 64, nullable: true },
    resultPublished: { type: 'integer', fieldName: 'result_published' },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
    startedAt: { type: 'string', fieldName: 'started_at', length: 40, nullable: true },
    finishedAt: { type: 'string', fieldName: 'finished_at', length: 40, nullable: true },
  },
  indexes: [
    { name: 'builder_build_commit', properties: ['service', 'commitSha', 'state'] },
    { name: 'builder_build_state', properties: ['state', 'createdAt'] },
  ],
});
