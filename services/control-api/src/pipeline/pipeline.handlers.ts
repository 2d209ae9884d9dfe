import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { outcomeOf } from '../handler-outcome';
import { PipelineService } from './pipeline.service';

/** The events that move deploy.yaml pipelines; each is applied in the consumer's transaction. */
@Injectable()
export class PipelineHandlers {
  constructor(private readonly pipeline: PipelineService) {}

  @Subscribe(Subjects.BuildImageBuilt)
  onImageBuilt(e: OrzoEvent<typeof Subjects.BuildImageBuilt>, ctx: EventContext): Promise<HandlerOutcome> {
    return outcomeOf(ctx, async () => {
      ctx.afterCommit(() => this.pipeline.flushOutbox());
      const result = await this.pipeline.imageBuilt(transactionOf(ctx), e.payload, e.envelope.correlationId);
      if (result === 'already-started')
        ctx.log.info({ service: e.payload.service, commitSha: e.payload.commitSha }, 'pipeline already started for this commit: nothing to do');
    });
  }

  @Subscribe(Subjects.DeployCompleted)
  onDeployCompleted(e: OrzoEvent<typeof Subjects.DeployCompleted>, ctx: EventContext): Promise<HandlerOutcome> {
    return outcomeOf(ctx, async () => {
      ctx.afterCommit(() => this.pipeline.flushOutbox());
      const result = await this.pipeline.deployCompleted(transactionOf(ctx), e.payload, e.envelope.correlationId);
      if (result === 'unknown-deploy')
        ctx.log.info({ deployId: e.payload.deployId }, 'deploy completed: no pipeline step of this control-api to continue from');
    });
  }

  @Subscribe(Subjects.BuildStepFinished)
  onStepFinished(e: OrzoEvent<typeof Subjects.BuildStepFinished>, ctx: EventContext): Promise<HandlerOutcome> {
    return outcomeOf(ctx, async () => {
      ctx.afterCommit(() => this.pipeline.flushOutbox());
      const result = await this.pipeline.stepFinished(transactionOf(ctx), e.payload, e.envelope.correlationId);
      if (result === 'unknown-deploy') ctx.log.info({ runId: e.payload.runId }, 'pipeline step finished: no such step to continue from');
    });
  }

  @Subscribe(Subjects.DeployFailed)
  onDeployFailed(e: OrzoEvent<typeof Subjects.DeployFailed>, ctx: EventContext): Promise<HandlerOutcome> {
    return outcomeOf(ctx, () => this.pipeline.deployFailed(transactionOf(ctx), e.payload));
  }
}
