import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { BuildImageBuilt, DeployCompleted, DeployFailed, PipelineStepFinished, Subjects, createEnvelope } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { SERVICE_CONFIG, isDomainError } from '@orzo/platform';
import type { ControlApiConfig } from '../config';
import { CompiledService, PipelineStep, blockOf, buildSteps } from '@orzo/soa-config';
import { DeployInstanceSchema } from '../deploys/deploy-instance.entity';
import { MarkService, awaitedOf } from '../deploys/mark.service';
import { DeployMarkSchema } from '../history/deploy-mark.entity';
import { AutoRollbackService } from '../rollback/auto-rollback.service';
import { RollbackSchema } from '../rollback/rollback.entity';
import { isRollbackReason } from '../rollback/rollback-target';
import { OutboxRelay } from '../deploys/outbox.relay';
import { HistoryService } from '../history/history.service';
import { SoaConfigSource } from '../soa/soa-config.source';
import { nonDeployStep } from './pipeline-steps';
import { PipelineRunSchema } from './pipeline-run.entity';

/** What an event did to the pipeline (the history says it, except for 'already-started', 'deploy-open' and 'unknown-deploy'). */
export type PipelineResult =
  | 'advanced'
  | 'done'
  | 'build-only'
  | 'already-started'
  | 'deploy-open'
  | 'waiting'
  | 'blocked'
  | 'failed'
  | 'unknown-deploy'
  | 'rolled-back'
  | 'not-waited'
  | 'parallel-open'
  | 'step-requested';

/** Marks older than this are not looked at for a timeout any more. */
const TIMEOUT_LOOKBACK_MS = 7 * 86_400_000;
/** The marks whose completion moves a pipeline (not rollbacks, stops or starts). */
const PIPELINE_REASONS = ['pipeline', 'mark-for-deployment'];

interface Version {
  image: string;
  gitSha: string;
  correlationId: string;
}

/**
 * Promotion through deploy.yaml. A new image (build.image-built) starts the pipeline once per
 * (service, commit): non-deploy steps are recorded (run by the builder, or skipped), the first
 * deploy group is marked. When every instance of a mark has completed its deploy, the next
 * deploy group is marked, unless the finished step says trigger_next_step_manually: then the
 * pipeline waits for `orzo mark-for-deployment` (whose completion continues it). Steps with
 * `disabled: true` are skipped; the deploy groups of a `parallel:` block are marked together and
 * the pipeline goes on when all of them completed; a step with `wait_for_deployment: false` goes
 * on as soon as it is marked; a deploy that has not completed within its step's `timeout` fails
 * the pipeline (and rolls back when the step says auto_rollback). Every mark,
 * promotion, skip and wait is in the history, written on the EntityManager of the event's
 * transaction, so it commits with the event's claim. A pipeline that cannot go on because of
 * the soa-configs or the request itself (a permanent domain error) is recorded as blocked.
 */
@Injectable()
export class PipelineService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PipelineService.name);
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly soa: SoaConfigSource,
    private readonly marks: MarkService,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
    private readonly db: DatabaseHolder,
    private readonly autoRollback: AutoRollbackService,
    @Inject(SERVICE_CONFIG) private readonly config: ControlApiConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweepTimeouts(), this.config.ORZO_PIPELINE_TICK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async imageBuilt(em: EntityManager, p: BuildImageBuilt, correlationId: string): Promise<PipelineResult> {
    const build = { service: p.service, kind: 'build' as const, deployGroup: '', gitSha: p.commitSha, actor: `build ${p.buildId}` };
    if (p.skipPipeline) {
      await this.history.record(em, { ...build, detail: `built ${p.image} (build only: the pipeline was not started)` });
      return 'build-only';
    }
    if (!(await em.getRepository(PipelineRunSchema).claim(p.service, p.commitSha, p.image))) return 'already-started';
    await this.history.record(em, { ...build, detail: `${p.external ? 'image from CI' : 'built'}: ${p.image}` });
    const svc = this.lookup(p.service);
    if (typeof svc === 'string') {
      await this.history.record(em, { service: p.service, kind: 'blocked', deployGroup: '', gitSha: p.commitSha, actor: 'pipeline', detail: svc });
      return 'blocked';
    }
    const result = await this.advance(em, svc, 0, { image: p.image, gitSha: p.commitSha, correlationId });
    return result;
  }

  async deployCompleted(em: EntityManager, p: DeployCompleted, correlationId: string): Promise<PipelineResult> {
    // Every instance is done: advance once (a second completion finds the advance claimed).
    if (!(await this.marks.recordCompletion(em, p.deployId, `${p.cluster}.${p.instance}`))) return 'deploy-open';
    const mark = await this.history.markOf(em, p.deployId);
    if (!mark) return 'unknown-deploy';
    // A rollback goes back to a version, never onward through the pipeline.
    if (isRollbackReason(mark.reason)) {
      await this.history.record(em, {
        service: mark.service,
        kind: 'done',
        deployGroup: mark.deployGroup,
        gitSha: mark.gitSha,
        actor: mark.reason,
        detail: `rollback to ${mark.gitSha.slice(0, 12)} is deployed on every instance of ${mark.deployGroup}; the pipeline does not go on from a rollback`,
      });
      return 'rolled-back';
    }
    const svc = this.lookup(mark.service);
    if (typeof svc === 'string') {
      await this.history.record(em, {
        service: mark.service,
        kind: 'blocked',
        deployGroup: mark.deployGroup,
        gitSha: mark.gitSha,
        actor: 'pipeline',
        detail: svc,
      });
      return 'blocked';
    }
    const index = svc.pipeline.findIndex((s) => s.step === mark.deployGroup);
    if (index < 0) return 'unknown-deploy';
    // wait_for_deployment: false: the pipeline went on when this group was marked.
    if (!svc.pipeline[index]!.waitForDeployment && mark.reason === 'pipeline') return 'not-waited';
    const [first, last] = blockOf(svc.pipeline, index);
    if (first !== last) {
      // A parallel block goes on when the last of its awaited deploys completes.
      await em.getRepository(PipelineRunSchema).lock(mark.service, mark.gitSha, mark.image, this.db.database.target.kind === 'postgresql');
      const open = await this.openInBlock(em, svc, first, last, index, mark.gitSha);
      if (open.length) return 'parallel-open';
    }
    const result = await this.after(em, svc, last, { image: mark.image, gitSha: mark.gitSha, correlationId });
    return result;
  }

  /** The deploy groups of a parallel block (other than `done`) the pipeline still waits for at this commit. */
  private async openInBlock(em: EntityManager, svc: CompiledService, first: number, last: number, done: number, gitSha: string): Promise<string[]> {
    const open: string[] = [];
    for (let j = first; j <= last; j++) {
      const s = svc.pipeline[j]!;
      if (j === done || !s.deployGroup || s.disabled || !s.waitForDeployment) continue;
      const [m] = await em
        .getRepository(DeployMarkSchema)
        .find({ service: svc.name, deployGroup: s.step, gitSha }, { orderBy: { createdAt: 'desc' }, limit: 1 });
      if (!m || (await em.getRepository(DeployInstanceSchema).openCount(m.id)) > 0) open.push(s.step);
    }
    return open;
  }

  /**
   * Fails the pipeline of every deploy that has not completed within its step's deploy.yaml
   * `timeout`: the latest mark of a group, not yet advanced, older than the timeout. Claimed in
   * the database (once, and never after its advance), recorded in the history, rolled back when
   * the mark asked for auto_rollback.
   */
  async sweepTimeouts(now = Date.now()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let failed = 0;
    try {
      const since = new Date(now - TIMEOUT_LOOKBACK_MS).toISOString();
      const read = this.db.database.em();
      const recent = await read.getRepository(DeployMarkSchema).find({ reason: { $in: PIPELINE_REASONS }, createdAt: { $gte: since } });
      // Only deploys still open (instance rows, no claim) are looked up in soa-configs.
      const rows: Array<{ deployId: string; instanceKey: string }> = [];
      for (let i = 0; i < recent.length; i += 500) {
        const ids = recent.slice(i, i + 500).map((m) => m.id);
        rows.push(...(await read.getRepository(DeployInstanceSchema).find({ deployId: { $in: ids } }, { fields: ['deployId', 'instanceKey'] })));
      }
      const claimed = new Set(rows.filter((r) => r.instanceKey === '*').map((r) => r.deployId));
      const waited = new Set(rows.map((r) => r.deployId));
      const steps = new Map<string, PipelineStep | undefined>();
      for (const mark of recent.filter((m) => waited.has(m.id) && !claimed.has(m.id))) {
        const groupKey = `${mark.service}\n${mark.deployGroup}`;
        if (!steps.has(groupKey)) steps.set(groupKey, this.stepOf(mark.service, mark.deployGroup));
        const step = steps.get(groupKey);
        if (!step?.timeoutSeconds || !step.waitForDeployment) continue;
        if (now - Date.parse(mark.createdAt) < step.timeoutSeconds * 1000) continue;
        const [latest] = await read.getRepository(DeployMarkSchema).recentOf(mark.service, mark.deployGroup, 1);
        if (latest?.id !== mark.id) continue;
        const reason = `not deployed within the deploy.yaml timeout of ${step.timeoutSeconds}s`;
        const done = await this.db.database.em().transactional(async (em) => {
          const progress = em.getRepository(DeployInstanceSchema);
          const stillOpen = (await progress.ofDeploys([mark.id])).filter((r) => r.state === 'requested').map((r) => r.instanceKey);
          if (!(await progress.claimTimeout(mark.id, reason))) return false;
          await this.history.record(em, {
            service: mark.service,
            kind: 'failed',
            deployGroup: mark.deployGroup,
            gitSha: mark.gitSha,
            actor: 'pipeline',
            detail: `deploy ${mark.id} of ${mark.deployGroup} timed out: ${reason} (still converging: ${stillOpen.join(', ') || 'none'}); the pipeline does not go on`,
          });
          const [cluster = '', instance = ''] = (stillOpen[0] ?? '').split(/\.(.*)/s);
          await this.autoRollback.deployFailed(em, { deployId: mark.id, service: mark.service, cluster, instance, reason, detail: '' }, mark.id);
          return true;
        });
        if (done) failed++;
      }
    } catch (err) {
      this.logger.warn(`deploy.yaml timeouts not checked: ${(err as Error).message}`);
    } finally {
      this.sweeping = false;
    }
    if (failed) this.flushOutbox();
    return failed;
  }

  /** The deploy.yaml step of a deploy group, as the soa-configs have it now. */
  private stepOf(service: string, deployGroup: string): PipelineStep | undefined {
    const svc = this.lookup(service);
    return typeof svc === 'string' ? undefined : svc.pipeline.find((s) => s.step === deployGroup);
  }

  async deployFailed(em: EntityManager, p: DeployFailed): Promise<PipelineResult> {
    await this.marks.recordFailure(em, p.deployId, `${p.cluster}.${p.instance}`, `${p.reason}${p.detail ? ` (${p.detail})` : ''}`);
    const mark = await this.history.markOf(em, p.deployId);
    await this.history.record(em, {
      service: p.service,
      kind: 'failed',
      deployGroup: mark?.deployGroup ?? '',
      gitSha: mark?.gitSha ?? '',
      actor: `${p.cluster}.${p.instance}`,
      detail: `deploy ${p.deployId} failed on ${p.cluster}.${p.instance}: ${p.reason}${p.detail ? ` (${p.detail})` : ''}; the pipeline does not go on`,
    });
    return 'failed';
  }

  /** After step `index` (and its parallel block) completed: wait when it asks for a manual trigger, else go on. */
  private async after(em: EntityManager, svc: CompiledService, index: number, v: Version): Promise<PipelineResult> {
    const [first, last] = blockOf(svc.pipeline, index);
    const block = svc.pipeline.slice(first, last + 1);
    const step = block.find((s) => s.triggerNextStepManually && !s.disabled);
    if (step) {
      const next = svc.pipeline.slice(last + 1).find((s) => s.deployGroup && !s.disabled);
      if (next) {
        await this.history.record(em, {
          service: svc.name,
          kind: 'wait',
          deployGroup: next.step,
          gitSha: v.gitSha,
          actor: 'pipeline',
          detail: `${step.step} is done and says trigger_next_step_manually: promote with orzo mark-for-deployment -s ${svc.name} -l ${next.step} -c ${v.gitSha}`,
        });
      }
      return 'waiting';
    }
    return this.advance(em, svc, last + 1, v);
  }

  /**
   * Walks the pipeline from `index`: records disabled and non-deploy steps, marks the next deploy
   * group (every deploy group of a parallel block at once) and waits for it, unless nothing is to
   * be waited for (no instances, wait_for_deployment: false): then goes on.
   */
  private async advance(em: EntityManager, svc: CompiledService, index: number, v: Version): Promise<PipelineResult> {
    const builtWithTheImage = buildSteps(svc.pipeline);
    for (let i = index; i < svc.pipeline.length; i++) {
      const [first, last] = blockOf(svc.pipeline, i);
      let awaited = 0;
      let marked = false;
      for (let j = first; j <= last; j++) {
        const step = svc.pipeline[j]!;
        // A non-deploy step after the first deploy group with a command: a builder runs it, the pipeline waits for it.
        if (!step.disabled && !step.deployGroup && step.command && step.step !== 'push-to-registry' && !builtWithTheImage.includes(step)) {
          await this.requestStep(em, svc, j, v);
          if (last === first) return 'step-requested';
          continue;
        }
        if (step.disabled || !step.deployGroup) {
          await this.history.record(em, {
            service: svc.name,
            kind: 'skip',
            deployGroup: step.step,
            gitSha: v.gitSha,
            actor: 'pipeline',
            detail: step.disabled
              ? `${step.step}: skipped: disabled: true in deploy.yaml${step.deployGroup ? ' (not deployed)' : ''}`
              : `${step.step}: ${nonDeployStep(step, builtWithTheImage.includes(step), this.soa.registryOf(svc))}`,
          });
          continue;
        }
        const result = await this.markStep(em, svc, step, v, last > first);
        if (typeof result === 'string') return result;
        marked = true;
        if (step.waitForDeployment) awaited += result;
      }
      i = last;
      // A group with instances goes on when their deploys complete; one without goes on now.
      if (awaited) return 'advanced';
      if (marked) return this.after(em, svc, last, v);
    }
    await this.history.record(em, {
      service: svc.name,
      kind: 'done',
      deployGroup: '',
      gitSha: v.gitSha,
      actor: 'pipeline',
      detail: 'every step of deploy.yaml is done',
    });
    return 'done';
  }

  /** Asks a builder to run non-deploy step `index` (build.step-requested through the outbox), in the history. */
  private async requestStep(em: EntityManager, svc: CompiledService, index: number, v: Version): Promise<void> {
    const step = svc.pipeline[index]!;
    const runId = randomUUID();
    await this.outbox.enqueue(em, createEnvelope(Subjects.BuildStepRequested, { source: 'control-api', correlationId: v.correlationId }), {
      runId,
      service: svc.name,
      commitSha: v.gitSha,
      image: v.image,
      step: step.step,
      stepIndex: index,
      command: step.command!,
    });
    await this.history.record(em, {
      service: svc.name,
      kind: 'step',
      deployGroup: step.step,
      gitSha: v.gitSha,
      actor: 'pipeline',
      detail: `${step.step}: asked a builder to run ${step.command} (run ${runId})`,
    });
  }

  /**
   * A non-deploy step finished on a builder: the pipeline goes on when it passed (or says
   * ignore_failure), else stops with the step's reason. Once per run, however often delivered.
   */
  async stepFinished(em: EntityManager, p: PipelineStepFinished, correlationId: string): Promise<PipelineResult> {
    if (!(await em.getRepository(DeployInstanceSchema).claimAdvance(p.runId))) return 'deploy-open';
    const svc = this.lookup(p.service);
    if (typeof svc === 'string') {
      await this.history.record(em, { service: p.service, kind: 'blocked', deployGroup: p.step, gitSha: p.commitSha, actor: 'pipeline', detail: svc });
      return 'blocked';
    }
    const step = svc.pipeline[p.stepIndex];
    if (step?.step !== p.step) return 'unknown-deploy';
    const v = { image: p.image, gitSha: p.commitSha, correlationId };
    if (!p.ok && !step.ignoreFailure) {
      await this.history.record(em, {
        service: svc.name,
        kind: 'failed',
        deployGroup: p.step,
        gitSha: p.commitSha,
        actor: 'pipeline',
        detail: `${p.step} failed: ${p.detail}; the pipeline does not go on`,
      });
      return 'failed';
    }
    await this.history.record(em, {
      service: svc.name,
      kind: 'step',
      deployGroup: p.step,
      gitSha: p.commitSha,
      actor: 'pipeline',
      detail: `${p.step} ${p.ok ? 'passed' : 'failed (ignore_failure: the pipeline goes on)'}: ${p.detail}`,
    });
    // A step of a parallel block is not waited for: its block went on when it was requested.
    if (step.parallelGroup !== undefined) return 'not-waited';
    const result = await this.after(em, svc, p.stepIndex, v);
    return result;
  }

  /** Marks one deploy group of the pipeline; resolves to how many instances its deploy waits for, or why the pipeline stops. */
  private async markStep(em: EntityManager, svc: CompiledService, step: PipelineStep, v: Version, parallel: boolean): Promise<number | PipelineResult> {
    const bad = await em.getRepository(RollbackSchema).ofBadSha(svc.name, v.gitSha);
    if (bad) {
      await this.history.record(em, {
        service: svc.name,
        kind: 'blocked',
        deployGroup: step.step,
        gitSha: v.gitSha,
        actor: 'pipeline',
        detail: `not deployed: ${v.gitSha.slice(0, 12)} was rolled back from ${bad.deployGroup} by ${bad.requestedBy} at ${bad.at} (${bad.reason}); mark it by hand to deploy it anyway`,
      });
      return 'blocked';
    }
    let prepared;
    try {
      prepared = await this.marks.prepare(
        svc,
        {
          service: svc.name,
          deployGroup: step.step,
          image: v.image,
          gitSha: v.gitSha,
          requestedBy: 'pipeline',
          reason: 'pipeline',
          autoRollback: step.autoRollback,
          correlationId: v.correlationId,
        },
        em,
      );
    } catch (err) {
      if (!isDomainError(err) || !err.permanent) throw err;
      await this.history.record(em, {
        service: svc.name,
        kind: 'blocked',
        deployGroup: step.step,
        gitSha: v.gitSha,
        actor: 'pipeline',
        detail: `could not mark ${step.step}: ${err.message}`,
      });
      return 'blocked';
    }
    const notes = [
      parallel ? 'parallel step' : '',
      step.waitForDeployment ? '' : 'wait_for_deployment: false (the pipeline goes on now)',
      step.timeoutSeconds && step.waitForDeployment ? `timeout ${step.timeoutSeconds}s` : '',
    ].filter(Boolean);
    await this.marks.record(em, prepared, 'promote', notes.join('; '));
    return awaitedOf(prepared).length;
  }

  /** The service as soa-configs have it now, or why its pipeline cannot go on. */
  private lookup(service: string): CompiledService | string {
    try {
      return this.soa.service(service);
    } catch (err) {
      if (isDomainError(err) && err.permanent) return `pipeline of ${service} not advanced: ${err.message}`;
      throw err;
    }
  }

  /**
   * Publishes the outbox rows (the marks' deploy.requested, the steps' build.step-requested)
   * once they are committed: PipelineHandlers call it from ctx.afterCommit, since the rows
   * commit with the handler's transaction just after it returns; the outbox's own retry
   * publishes whatever this misses.
   */
  flushOutbox(): void {
    void this.outbox.flush().catch(() => undefined);
  }
}
