import type { BusService } from '@orzo/bus';
import { EventMap, Subject, Subjects } from '@orzo/contracts';
import type { Logger } from '@orzo/platform';
import type { Engine, OneShotResult } from '../engine/engine';
import { ActionState, actionGraphProblem, nextActions } from './action-plan';
import type { JobActionResult, JobActionSpec, JobRunRef, JobSpec } from './job-times';

/** What a run needs around it: the cluster's engine, the bus, a logger. */
export interface RunnerDeps {
  engine(cluster: string): Engine;
  bus: Pick<BusService, 'publish'>;
  logger: Logger;
}

/**
 * Runs one run of a job to its end: its actions in `requires` order (independent ones in
 * parallel), each a container of the job's image, with retries, max_runtime (killed) and
 * expected_runtime (run-late, once per action); publishes run-started, action-finished per
 * attempt, and run-succeeded or run-failed with every action's result and output. Every event
 * id is derived from the run id, so the same run published twice (two schedulers that both
 * thought they won, a restart) is one event for JetStream within the duplicate window.
 */
export class JobRunner {
  constructor(private readonly deps: RunnerDeps) {}

  /** Runs `spec` as the run `ref`; `only`: just that action, without its requirements. */
  async execute(spec: JobSpec, ref: JobRunRef, only = ''): Promise<'succeeded' | 'failed'> {
    const log = this.deps.logger.child({ runId: ref.runId, job: `${spec.service}.${spec.job}`, cluster: spec.cluster, trigger: ref.trigger });
    const startedAt = new Date().toISOString();
    let actions: JobActionSpec[] = spec.actions;
    let problem: string | null = null;
    if (only) {
      const one = spec.actions.find((a) => a.name === only);
      if (one) actions = [{ ...one, requires: [] }];
      else problem = `job ${spec.job} has no action ${only} (actions: ${spec.actions.map((a) => a.name).join(', ')})`;
    }
    problem ??= spec.image ? actionGraphProblem(actions) : `deploy group ${spec.deployGroup} has no version yet: nothing to run`;
    await this.publish(Subjects.JobRunStarted, { run: ref, startedAt, actions: actions.map((a) => a.name) }, `${ref.runId}:started`);
    if (problem) {
      log.warn({ problem }, 'job run failed before it started');
      await this.finish(spec, ref, startedAt, [], problem);
      return 'failed';
    }
    log.info({ actions: actions.map((a) => a.name) }, 'job run started');
    const states = new Map<string, ActionState>();
    const results = new Map<string, JobActionResult>();
    const running = new Map<string, Promise<void>>();
    for (;;) {
      let step = nextActions(actions, states);
      while (step.skip.length) {
        for (const s of step.skip) {
          states.set(s.name, 'skipped');
          results.set(s.name, skippedResult(s.name, s.because));
        }
        step = nextActions(actions, states);
      }
      for (const name of step.start) {
        states.set(name, 'running');
        const action = actions.find((a) => a.name === name)!;
        running.set(
          name,
          this.runAction(spec, ref, action).then((r) => {
            states.set(name, r.state as ActionState);
            results.set(name, r);
            running.delete(name);
          }),
        );
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    const ordered = actions.map((a) => results.get(a.name) ?? skippedResult(a.name, 'never became runnable'));
    const bad = ordered.filter((r) => r.state !== 'succeeded');
    const reason = bad.map((r) => `${r.name} ${r.state}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
    await this.finish(spec, ref, startedAt, ordered, bad.length ? reason : '');
    log.info({ outcome: bad.length ? 'failed' : 'succeeded', reason }, 'job run finished');
    return bad.length ? 'failed' : 'succeeded';
  }

  /**
   * A run that cannot start (its job is unknown here) or that lost its scheduler: run-started
   * (a duplicate of the real one, if any, is dropped), then run-failed with why.
   */
  async refuse(ref: JobRunRef, reason: string, monitoring?: JobSpec['monitoring']): Promise<void> {
    const at = new Date().toISOString();
    await this.publish(Subjects.JobRunStarted, { run: ref, startedAt: at, actions: [] }, `${ref.runId}:started`);
    await this.publish(Subjects.JobRunFailed, { run: ref, startedAt: at, finishedAt: at, actions: [], reason, monitoring }, `${ref.runId}:failed`);
  }

  private async finish(spec: JobSpec, ref: JobRunRef, startedAt: string, actions: JobActionResult[], failure: string): Promise<void> {
    const finishedAt = new Date().toISOString();
    if (failure)
      await this.publish(
        Subjects.JobRunFailed,
        { run: ref, startedAt, finishedAt, actions, reason: failure, monitoring: spec.monitoring },
        `${ref.runId}:failed`,
      );
    else await this.publish(Subjects.JobRunSucceeded, { run: ref, startedAt, finishedAt, actions }, `${ref.runId}:succeeded`);
  }

  /** One action, with its retries; resolves to its final result. */
  private async runAction(spec: JobSpec, ref: JobRunRef, action: JobActionSpec): Promise<JobActionResult> {
    const firstStart = Date.now();
    let late: NodeJS.Timeout | undefined;
    if (action.expectedRuntimeSeconds > 0) {
      late = setTimeout(() => {
        void this.publish(
          Subjects.JobRunLate,
          {
            run: ref,
            action: action.name,
            expectedRuntimeSeconds: action.expectedRuntimeSeconds,
            // A timer may fire a millisecond early: never report less than the expectation it passed.
            runningSeconds: Math.max(action.expectedRuntimeSeconds, (Date.now() - firstStart) / 1000),
            monitoring: spec.monitoring,
          },
          `${ref.runId}:late:${action.name}`,
        );
      }, action.expectedRuntimeSeconds * 1000);
    }
    try {
      for (let attempt = 1; ; attempt++) {
        const result = await this.attempt(spec, ref, action, attempt);
        const willRetry = result.state !== 'succeeded' && attempt <= action.retries;
        await this.publish(Subjects.JobActionFinished, { run: ref, result, willRetry }, `${ref.runId}:action:${action.name}:${attempt}`);
        if (!willRetry) return result;
        if (action.retriesDelaySeconds > 0) await new Promise((r) => setTimeout(r, action.retriesDelaySeconds * 1000));
      }
    } finally {
      clearTimeout(late);
    }
  }

  private async attempt(spec: JobSpec, ref: JobRunRef, action: JobActionSpec, attempt: number): Promise<JobActionResult> {
    const startedAt = new Date().toISOString();
    let r: OneShotResult;
    try {
      r = await this.deps.engine(spec.cluster).runOnce(
        {
          service: spec.service,
          cluster: spec.cluster,
          job: spec.job,
          runId: ref.runId,
          action: action.name,
          attempt,
          image: spec.image,
          gitSha: spec.gitSha,
          cmd: action.command,
          cpus: action.cpus,
          memMb: action.memMb,
          env: { ...spec.env, ...action.env, ORZO_JOB_RUN_ID: ref.runId, ORZO_JOB_ACTION: action.name },
        },
        { maxRuntimeMs: action.maxRuntimeSeconds * 1000 },
      );
    } catch (err) {
      const reason = `could not run: ${(err as Error).message}`;
      return {
        name: action.name,
        state: 'failed',
        attempts: attempt,
        startedAt,
        finishedAt: new Date().toISOString(),
        exitCode: -1,
        reason,
        log: '',
        containerId: '',
      };
    }
    const state = r.killed ? 'killed' : r.exitCode === 0 ? 'succeeded' : 'failed';
    const reason = r.killed
      ? `killed after max_runtime ${action.maxRuntimeSeconds}s`
      : r.oomKilled
        ? `killed: out of memory (mem ${action.memMb} MB), exit code ${r.exitCode}`
        : r.exitCode !== 0
          ? `exit code ${r.exitCode}`
          : '';
    return {
      name: action.name,
      state,
      attempts: attempt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      exitCode: r.exitCode,
      reason: attempt > 1 && reason ? `${reason} after ${attempt} attempts` : reason,
      log: r.log,
      containerId: r.containerId,
    };
  }

  private async publish<S extends Subject>(subject: S, payload: EventMap[S], id: string): Promise<void> {
    try {
      await this.deps.bus.publish(subject, payload, { id, correlationId: id.split(':')[0] });
    } catch (err) {
      this.deps.logger.error({ err, subject, id }, 'could not publish a job event');
    }
  }
}

function skippedResult(name: string, because: string): JobActionResult {
  return { name, state: 'skipped', attempts: 0, startedAt: '', finishedAt: '', exitCode: 0, reason: because, log: '', containerId: '' };
}
