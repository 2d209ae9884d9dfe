import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { outcomeOf } from '../handler-outcome';
import { AutoRollbackService } from './auto-rollback.service';

/** deploy.failed to auto-rollback, in the consumer's transaction (its own durable consumer beside the pipeline's). */
@Injectable()
export class AutoRollbackHandlers {
  constructor(private readonly auto: AutoRollbackService) {}

  @Subscribe(Subjects.DeployFailed)
  onDeployFailedRollBack(e: OrzoEvent<typeof Subjects.DeployFailed>, ctx: EventContext): Promise<HandlerOutcome> {
    return outcomeOf(ctx, async () => {
      const result = await this.auto.deployFailed(transactionOf(ctx), e.payload, e.envelope.correlationId);
      ctx.log.info({ deployId: e.payload.deployId, result }, 'deploy failed: auto-rollback considered');
    });
  }
}
