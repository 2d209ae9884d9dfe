import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { outcomeOf } from '../handler-outcome';
import { ProgressViewService } from './progress-view.service';

/** Feeds deploy.progressed into the instance progress view, exactly once each, in the consumer's transaction. */
@Injectable()
export class ProgressViewHandlers {
  constructor(private readonly view: ProgressViewService) {}

  @Subscribe(Subjects.DeployProgressed)
  onDeployProgressed(e: OrzoEvent<typeof Subjects.DeployProgressed>, ctx: EventContext): Promise<HandlerOutcome> {
    return outcomeOf(ctx, () => this.view.record(transactionOf(ctx), e.payload, e.envelope.occurredAt));
  }
}
