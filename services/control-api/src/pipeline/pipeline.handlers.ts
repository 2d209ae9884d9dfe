import { Injectable } from '@nestjs/common';
import { EventContext, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { EntityManager, transactionOf } from '@orzo/persistence';
import { CompiledService, PipelineStep, buildSteps } from '@orzo/soa-config';
import { GrpcError } from '../deploy/grpc-error';
import { MarkService, recordHistory } from '../deploy/mark.service';
import { OutboxRelay } from '../deploy/outbox';
import { SoaConfigSource } from '../deploy/soa-config.source';

/** Why a non-deploy step was not run here, in the history's words. */
function nonDeployStep(step: PipelineStep, beforeFirstDeploy: boolean, registry: string): string {
  if (step.step === 'push-to-registry')
    return registry ? `done by the builder (pushed to ${registry})` : 'skipped: no registry configured, images stay on the engine';
  if (beforeFirstDeploy)
    return step.command ? `run by the builder before the image was announced: ${step.command}` : 'skipped: no command configured in deploy.yaml';
  return 'skipped: Orzo runs non-deploy steps only before the first deploy group';
}

/**
 * Promotion through deploy.yaml. A new image (build.image-built) starts the pipeline once per
 * (service, commit): non-deploy steps are recorded (run by the builder, or skipped), the first
 * deploy group is marked. When every instance of a mark has completed its deploy, the next
 * deploy group is marked, unless the finished step says trigger_next_step_manually: then the
 * pipeline waits for `orzo mark-for-deployment` (whose completion continues it). Every mark,
 * promotion, skip and wait is in the history, in the same transaction as the event's claim.
 */
@Injectable()
export class PipelineHandlers {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly marks: MarkService,
    private readonly outbox: OutboxRelay,
  ) {}

  @Subscribe(Subjects.BuildImageBuilt)
  async onImageBuilt(e: OrzoEvent<typeof Subjects.BuildImageBuilt>, ctx: EventContext): Promise<void> {
    const p = e.payload;
    const tx = transactionOf(ctx);
    if (p.skipPipeline) {
      await recordHistory(tx, {
        service: p.service,
        kind: 'build',
        deployGroup: '',
        gitSha: p.commitSha,
        actor: `build ${p.buildId}`,
        detail: `built ${p.image} (build only: the pipeline was not started)`,
      });
      return;
    }
    const started = await tx.execute<unknown[]>(
      'insert into control_pipeline_run (service, git_sha, image, started_at) values (?, ?, ?, ?) on conflict do nothing returning service',
      [p.service, p.commitSha, p.image, new Date().toISOString()],
      'all',
    );
    if (!started.length) {
      ctx.log.info({ service: p.service, commitSha: p.commitSha }, 'pipeline already started for this commit: nothing to do');
      return;
    }
    await recordHistory(tx, {
      service: p.service,
      kind: 'build',
      deployGroup: '',
      gitSha: p.commitSha,
      actor: `build ${p.buildId}`,
      detail: `${p.external ? 'image from CI' : 'built'}: ${p.image}`,
    });
    const svc = this.lookup(p.service);
    if (typeof svc === 'string') {
      await recordHistory(tx, { service: p.service, kind: 'blocked', deployGroup: '', gitSha: p.commitSha, actor: 'pipeline', detail: svc });
      return;
    }
    await this.advance(tx, svc, 0, { image: p.image, gitSha: p.commitSha, correlationId: e.envelope.correlationId });
    this.flushSoon();
  }

  @Subscribe(Subjects.DeployCompleted)
  async onDeployCompleted(e: OrzoEvent<typeof Subjects.DeployCompleted>, ctx: EventContext): Promise<void> {
    const p = e.payload;
    const tx = transactionOf(ctx);
    await tx.execute("update control_deploy_instance set state = 'completed' where deploy_id = ? and instance_key = ?", [
      p.deployId,
      `${p.cluster}.${p.instance}`,
    ]);
    const open = await tx.execute<Array<{ n: number | string }>>(
      "select count(*) as n from control_deploy_instance where deploy_id = ? and state <> 'completed'",
      [p.deployId],
    );
    if (Number(open[0]?.n ?? 0) > 0) return;
    // Every instance is done: advance once (the '*' row claims it; a second completion finds it taken).
    const claimed = await tx.execute<unknown[]>(
      "insert into control_deploy_instance (deploy_id, instance_key, state) values (?, '*', 'completed') on conflict do nothing returning deploy_id",
      [p.deployId],
      'all',
    );
    if (!claimed.length) return;
    const mark = (
      await tx.execute<Array<{ service: string; deploy_group: string; image: string; git_sha: string }>>(
        'select service, deploy_group, image, git_sha from control_deploy_mark where id = ?',
        [p.deployId],
      )
    )[0];
    if (!mark) return;
    const svc = this.lookup(mark.service);
    if (typeof svc === 'string') {
      await recordHistory(tx, { service: mark.service, kind: 'blocked', deployGroup: mark.deploy_group, gitSha: mark.git_sha, actor: 'pipeline', detail: svc });
      return;
    }
    const index = svc.pipeline.findIndex((s) => s.step === mark.deploy_group);
    if (index < 0) return;
    await this.after(tx, svc, index, { image: mark.image, gitSha: mark.git_sha, correlationId: e.envelope.correlationId });
    this.flushSoon();
  }

  @Subscribe(Subjects.DeployFailed)
  async onDeployFailed(e: OrzoEvent<typeof Subjects.DeployFailed>, ctx: EventContext): Promise<void> {
    const p = e.payload;
    const mark = (
      await transactionOf(ctx).execute<Array<{ deploy_group: string; git_sha: string }>>('select deploy_group, git_sha from control_deploy_mark where id = ?', [
        p.deployId,
      ])
    )[0];
    await recordHistory(transactionOf(ctx), {
      service: p.service,
      kind: 'failed',
      deployGroup: mark?.deploy_group ?? '',
      gitSha: mark?.git_sha ?? '',
      actor: `${p.cluster}.${p.instance}`,
      detail: `deploy ${p.deployId} failed on ${p.cluster}.${p.instance}: ${p.reason}${p.detail ? ` (${p.detail})` : ''}; the pipeline does not go on`,
    });
  }

  /** After step `index` completed: wait when it asks for a manual trigger, else go on. */
  private async after(tx: EntityManager, svc: CompiledService, index: number, v: Version): Promise<void> {
    const step = svc.pipeline[index]!;
    if (step.triggerNextStepManually) {
      const next = svc.pipeline.slice(index + 1).find((s) => s.deployGroup);
      if (next) {
        await recordHistory(tx, {
          service: svc.name,
          kind: 'wait',
          deployGroup: next.step,
          gitSha: v.gitSha,
          actor: 'pipeline',
          detail: `${step.step} is done and says trigger_next_step_manually: promote with orzo mark-for-deployment -s ${svc.name} -l ${next.step} -c ${v.gitSha}`,
        });
      }
      return;
    }
    await this.advance(tx, svc, index + 1, v);
  }

  /** Walks the pipeline from `index`: records non-deploy steps, marks the next deploy group. */
  private async advance(tx: EntityManager, svc: CompiledService, index: number, v: Version): Promise<void> {
    const builtWithTheImage = buildSteps(svc.pipeline);
    for (let i = index; i < svc.pipeline.length; i++) {
      const step = svc.pipeline[i]!;
      if (!step.deployGroup) {
        await recordHistory(tx, {
          service: svc.name,
          kind: 'skip',
          deployGroup: step.step,
          gitSha: v.gitSha,
          actor: 'pipeline',
          detail: `${step.step}: ${nonDeployStep(step, builtWithTheImage.includes(step), this.soa.registryOf(svc))}`,
        });
        continue;
      }
      let prepared;
      try {
        prepared = await this.marks.prepare(svc, {
          service: svc.name,
          deployGroup: step.step,
          image: v.image,
          gitSha: v.gitSha,
          requestedBy: 'pipeline',
          reason: 'pipeline',
          correlationId: v.correlationId,
        });
      } catch (err) {
        if (!(err instanceof GrpcError)) throw err;
        await recordHistory(tx, {
          service: svc.name,
          kind: 'blocked',
          deployGroup: step.step,
          gitSha: v.gitSha,
          actor: 'pipeline',
          detail: `could not mark ${step.step}: ${err.message}`,
        });
        return;
      }
      await this.marks.record(tx, prepared, 'promote');
      // A group with instances goes on when their deploys complete; one without goes on now.
      if (prepared.instances.length) return;
      return this.after(tx, svc, i, v);
    }
    await recordHistory(tx, {
      service: svc.name,
      kind: 'done',
      deployGroup: '',
      gitSha: v.gitSha,
      actor: 'pipeline',
      detail: 'every step of deploy.yaml is done',
    });
  }

  private lookup(service: string): CompiledService | string {
    try {
      return this.soa.service(service);
    } catch (err) {
      if (err instanceof GrpcError) return `pipeline of ${service} not advanced: ${err.message}`;
      throw err;
    }
  }

  /** The outbox rows commit with the handler's transaction, just after it returns. */
  private flushSoon(): void {
    setTimeout(() => void this.outbox.flush().catch(() => undefined), 20).unref();
  }
}

interface Version {
  image: string;
  gitSha: string;
  correlationId: string;
}
