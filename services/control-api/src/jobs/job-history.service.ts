import { Injectable } from '@nestjs/common';
import { JobActionResult, JobRunRef } from '@orzo/contracts';
import { EntityManager } from '@orzo/persistence';
import { DEFAULT_RUN_LIMIT } from '@orzo/soa-config';
import { SoaConfigSource } from '../soa/soa-config.source';
import { JobActionRun, JobActionRunSchema, JobRun, JobRunSchema } from './job-run.entity';
import { requestedRun } from './jobs.service';

/**
 * Run history of timed jobs (control_job_run, control_job_action_run), built from the runner's
 * events in the consumer's transaction (exactly once each). Each subject has its own consumer,
 * so the events of one run may come in any order: a row only moves forward (rank). A run that
 * ends trims its job's history to the job's run_limit (default 50).
 */
@Injectable()
export class JobHistoryService {
  constructor(private readonly soa: SoaConfigSource) {}

  async requested(
    em: EntityManager,
    r: { runId: string; service: string; cluster: string; job: string; action: string; requestedBy: string },
    at: string,
  ): Promise<void> {
    await em.getRepository(JobRunSchema).putUnlessLater(requestedRun(r, at));
  }

  async started(em: EntityManager, ref: JobRunRef, startedAt: string, actions: string[], at: string): Promise<void> {
    await em.getRepository(JobRunSchema).putUnlessLater(runRow(ref, 'running', 1, { startedAt, updatedAt: at }));
    await em.getRepository(JobActionRunSchema).pending(ref.runId, actions);
  }

  async actionFinished(em: EntityManager, ref: JobRunRef, result: JobActionResult, willRetry: boolean, at: string): Promise<void> {
    await em.getRepository(JobRunSchema).putUnlessLater(runRow(ref, 'running', 1, { updatedAt: at }));
    await em.getRepository(JobActionRunSchema).putUnlessLater(actionRow(ref.runId, result, willRetry ? 'retrying' : result.state, willRetry ? 1 : 2));
  }

  /** A run past its expected_runtime: said in its reason while it runs (its end says the rest). */
  async late(em: EntityManager, ref: JobRunRef, note: string, at: string): Promise<void> {
    await em.getRepository(JobRunSchema).putUnlessLater(runRow(ref, 'running', 1, { reason: note, updatedAt: at }));
  }

  async finished(
    em: EntityManager,
    ref: JobRunRef,
    state: 'succeeded' | 'failed',
    f: { startedAt: string; finishedAt: string; reason: string; actions: JobActionResult[] },
    at: string,
  ): Promise<void> {
    await em
      .getRepository(JobRunSchema)
      .putUnlessLater(runRow(ref, state, 2, { startedAt: f.startedAt, finishedAt: f.finishedAt, reason: f.reason, updatedAt: at }));
    for (const a of f.actions) await em.getRepository(JobActionRunSchema).putUnlessLater(actionRow(ref.runId, a, a.state, 3));
    const trimmed = await em.getRepository(JobRunSchema).trim(ref.service, ref.cluster, ref.job, this.runLimitOf(ref));
    if (trimmed.length) await em.getRepository(JobActionRunSchema).nativeDelete({ runId: { $in: trimmed } });
  }

  /** The job's run_limit as its file says now (default 50; the job or service gone: the default). */
  private runLimitOf(ref: JobRunRef): number {
    try {
      return this.soa.service(ref.service).jobs.find((j) => j.job === ref.job && j.cluster === ref.cluster)?.runLimit ?? DEFAULT_RUN_LIMIT;
    } catch {
      return DEFAULT_RUN_LIMIT;
    }
  }
}

function runRow(ref: JobRunRef, state: JobRun['state'], rank: number, more: Partial<JobRun> & { updatedAt: string }): JobRun {
  return {
    runId: ref.runId,
    service: ref.service,
    cluster: ref.cluster,
    job: ref.job,
    action: '',
    state,
    rank,
    trigger: ref.trigger,
    scheduledAt: ref.scheduledAt,
    startedAt: '',
    finishedAt: '',
    reason: '',
    gitSha: ref.gitSha,
    image: ref.image,
    requestedBy: ref.requestedBy,
    ...more,
  };
}

function actionRow(runId: string, a: JobActionResult, state: string, rank: number): JobActionRun {
  return {
    runId,
    name: a.name,
    state,
    rank,
    attempts: a.attempts,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
    exitCode: a.exitCode,
    reason: a.reason,
    log: a.log,
  };
}
