import { Injectable } from '@nestjs/common';
import { BuildImageBuilt, DeployCompleted, DeployFailed } from '@orzo/contracts';
import { EntityManager } from '@orzo/persistence';
import { isDomainError } from '@orzo/platform';
import { CompiledService, buildSteps } from '@orzo/soa-config';
import { MarkService, awaitedOf } from '../deploys/mark.service';
import { RollbackSchema } from '../rollback/rollback.entity';
import { isRollbackReason } from '../rollback/rollback-target';
import { OutboxRelay } from '../deploys/outbox.relay';
import { HistoryService } from '../history/history.service';
import { SoaConfigSource } from '../soa/soa-config.source';
import { nonDeployStep } from './pipeline-steps';
import { PipelineRunSchema } from './pipeline-run.entity';

/** What an event did to the pipeline (the history says it, except for 'already-started', 'deploy-open' and 'unknown-deploy'). */
export type PipelineResult =
  'advanced' | 'done' | 'build-only' | 'already-started' | 'deploy-open' | 'waiting' | 'blocked' | 'failed' | 'unknown-deploy' | 'rolled-back';

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
 * pipeline waits for `orzo mark-for-deployment` (whose completion continues it). Every mark,
 * promotion, skip and wait is in the history, written on the EntityManager of the event's
 * transaction, so it commits with the event's claim. A pipeline that cannot go on because of
 * the soa-configs or the request itself (a permanent domain error) is recorded as blocked.
 */
@Injectable()
export class PipelineService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly marks: MarkService,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
  ) {}

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
    this.flushSoon();
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
    const result = await this.after(em, svc, index, { image: mark.image, gitSha: mark.gitSha, correlationId });
    this.flushSoon();
    return result;
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

  /** After step `index` completed: wait when it asks for a manual trigger, else go on. */
  private async after(em: EntityManager, svc: CompiledService, index: number, v: Version): Promise<PipelineResult> {
    const step = svc.pipeline[index]!;
    if (step.triggerNextStepManually) {
      const next = svc.pipeline.slice(index + 1).find((s) => s.deployGroup);
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
    return this.advance(em, svc, index + 1, v);
  }

  /** Walks the pipeline from `index`: records non-deploy steps, marks the next deploy group. */
  private async advance(em: EntityManager, svc: CompiledService, index: number, v: Version): Promise<PipelineResult> {
    const builtWithTheImage = buildSteps(svc.pipeline);
    for (let i = index; i < svc.pipeline.length; i++) {
      const step = svc.pipeline[i]!;
      if (!step.deployGroup) {
        await this.history.record(em, {
          service: svc.name,
          kind: 'skip',
          deployGroup: step.step,
          gitSha: v.gitSha,
          actor: 'pipeline',
          detail: `${step.step}: ${nonDeployStep(step, builtWithTheImage.includes(step), this.soa.registryOf(svc))}`,
        });
        continue;
      }
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
      await this.marks.record(em, prepared, 'promote');
      // A group with instances goes on when their deploys complete; one without goes on now.
      if (awaitedOf(prepared).length) return 'advanced';
      return this.after(em, svc, i, v);
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

  /** The service as soa-configs have it now, or why its pipeline cannot go on. */
  private lookup(service: string): CompiledService | string {
    try {
      return this.soa.service(service);
    } catch (err) {
      if (isDomainError(err) && err.permanent) return `pipeline of ${service} not advanced: ${err.message}`;
      throw err;
    }
  }

  /** The outbox rows commit with the handler's transaction, just after it returns. */
  private flushSoon(): void {
    setTimeout(() => void this.outbox.flush().catch(() => undefined), 20).unref();
  }
}
