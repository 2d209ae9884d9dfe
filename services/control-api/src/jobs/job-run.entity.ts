import { EntityRepositoryType, EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import { JobActionRunRepository, JobRunRepository } from './job-run.repository';

/**
 * One run of a timed job (control_job_run), built from the job.* run events. `rank` orders
 * its states (0 requested, 1 running, 2 finished) so events that arrive out of order (one
 * consumer per subject) never move a run backwards.
 */
export interface JobRun {
  runId: string;
  service: string;
  cluster: string;
  job: string;
  /** '': the whole job; else the one action asked for (orzo job run -a). */
  action: string;
  state: 'requested' | 'running' | 'succeeded' | 'failed';
  rank: number;
  trigger: string;
  scheduledAt: string;
  startedAt: string;
  finishedAt: string;
  reason: string;
  gitSha: string;
  image: string;
  requestedBy: string;
  updatedAt: string;
  [PrimaryKeyProp]?: 'runId';
  [EntityRepositoryType]?: JobRunRepository;
}

export const JobRunSchema = new EntitySchema<JobRun>({
  name: 'JobRun',
  tableName: 'control_job_run',
  repository: () => JobRunRepository,
  properties: {
    runId: { type: 'string', primary: true, fieldName: 'run_id', length: 300 },
    service: { type: 'string', length: 100 },
    cluster: { type: 'string', length: 100 },
    job: { type: 'string', length: 100 },
    action: { type: 'string', length: 100 },
    state: { type: 'string', length: 20 },
    rank: { type: 'integer' },
    trigger: { type: 'string', length: 20 },
    scheduledAt: { type: 'string', fieldName: 'scheduled_at', length: 40 },
    startedAt: { type: 'string', fieldName: 'started_at', length: 40 },
    finishedAt: { type: 'string', fieldName: 'finished_at', length: 40 },
    reason: { type: 'text' },
    gitSha: { type: 'string', fieldName: 'git_sha', length: 64 },
    image: { type: 'string', length: 500 },
    requestedBy: { type: 'string', fieldName: 'requested_by', length: 200 },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
  },
  indexes: [{ name: 'control_job_run_job', properties: ['service', 'job', 'scheduledAt'] }],
});

/**
 * One action of a run (control_job_action_run). `rank`: 0 pending (the run started), 1 an
 * attempt failed and another follows, 2 the action ended, 3 the run's final event said so
 * (it carries every action's result and wins).
 */
export interface JobActionRun {
  runId: string;
  name: string;
  state: string;
  rank: number;
  attempts: number;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  log: string;
  [PrimaryKeyProp]?: ['runId', 'name'];
  [EntityRepositoryType]?: JobActionRunRepository;
}

export const JobActionRunSchema = new EntitySchema<JobActionRun>({
  name: 'JobActionRun',
  tableName: 'control_job_action_run',
  repository: () => JobActionRunRepository,
  properties: {
    runId: { type: 'string', primary: true, fieldName: 'run_id', length: 300 },
    name: { type: 'string', primary: true, length: 100 },
    state: { type: 'string', length: 20 },
    rank: { type: 'integer' },
    attempts: { type: 'integer' },
    startedAt: { type: 'string', fieldName: 'started_at', length: 40 },
    finishedAt: { type: 'string', fieldName: 'finished_at', length: 40 },
    exitCode: { type: 'integer', fieldName: 'exit_code' },
    reason: { type: 'text' },
    log: { type: 'text' },
  },
});

/** An operator's `orzo job enable|disable` (control_job_override): wins over the file's switch. */
export interface JobOverride {
  service: string;
  cluster: string;
  job: string;
  enabled: boolean;
  changedBy: string;
  changedAt: string;
  [PrimaryKeyProp]?: ['service', 'cluster', 'job'];
}

export const JobOverrideSchema = new EntitySchema<JobOverride>({
  name: 'JobOverride',
  tableName: 'control_job_override',
  properties: {
    service: { type: 'string', primary: true, length: 100 },
    cluster: { type: 'string', primary: true, length: 100 },
    job: { type: 'string', primary: true, length: 100 },
    enabled: { type: 'boolean' },
    changedBy: { type: 'string', fieldName: 'changed_by', length: 200 },
    changedAt: { type: 'string', fieldName: 'changed_at', length: 40 },
  },
});
