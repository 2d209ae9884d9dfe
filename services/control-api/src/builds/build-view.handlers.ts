import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { outcomeOf } from '../handler-outcome';
import { BuildChange, BuildViewService } from './build-view.service';

/** Feeds the builder's events into the build view, exactly once each, in the consumer's transaction. */
@Injectable()
export class BuildViewHandlers {
  constructor(private readonly view: BuildViewService) {}

  @Subscribe(Subjects.BuildRequested)
  onRequested(e: OrzoEvent<typeof Subjects.BuildRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    const p = e.payload;
    return this.apply(e, ctx, { buildId: p.buildId, service: p.service, commitSha: p.commitSha, state: 'requested', requestedBy: p.requestedBy });
  }

  @Subscribe(Subjects.BuildStarted)
  onStarted(e: OrzoEvent<typeof Subjects.BuildStarted>, ctx: EventContext): Promise<HandlerOutcome> {
    const p = e.payload;
    return this.apply(e, ctx, { buildId: p.buildId, service: p.service, commitSha: p.commitSha, image: p.image, state: 'running' });
  }

  @Subscribe(Subjects.BuildImageBuilt)
  onBuilt(e: OrzoEvent<typeof Subjects.BuildImageBuilt>, ctx: EventContext): Promise<HandlerOutcome> {
    const p = e.payload;
    return this.apply(e, ctx, {
      buildId: p.buildId,
      service: p.service,
      commitSha: p.commitSha,
      image: p.image,
      state: 'succeeded',
      requestedBy: p.external ? 'external' : undefined,
    });
  }

  @Subscribe(Subjects.BuildFailed)
  onFailed(e: OrzoEvent<typeof Subjects.BuildFailed>, ctx: EventContext): Promise<HandlerOutcome> {
    const p = e.payload;
    return this.apply(e, ctx, { buildId: p.buildId, service: p.service, commitSha: p.commitSha, state: 'failed', step: p.step, error: p.error });
  }

  private apply(e: OrzoEvent, ctx: EventContext, change: BuildChange): Promise<HandlerOutcome> {
    return outcomeOf(ctx, () => this.view.apply(transactionOf(ctx), e.envelope.occurredAt, change));
  }
}
