import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, ReplicaRef, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { outcomeOf } from '../handler-outcome';
import { isUnexpectedExit } from './replica-exit.entity';
import { ReplicaViewService } from './replica-view.service';

/** Feeds the instance events into the replica view, exactly once each, in the consumer's transaction. */
@Injectable()
export class ReplicaViewHandlers {
  constructor(private readonly view: ReplicaViewService) {}

  @Subscribe(Subjects.InstanceStarted)
  async onInstanceStarted(e: OrzoEvent<typeof Subjects.InstanceStarted>, ctx: EventContext): Promise<HandlerOutcome> {
    const replica = e.payload.replica;
    if (!replica) return NO_REPLICA;
    return outcomeOf(ctx, async () => {
      await this.view.record(transactionOf(ctx), replica, 'Starting', e.envelope.occurredAt);
      await this.view.recordGeneration(transactionOf(ctx), replica);
    });
  }

  @Subscribe(Subjects.InstanceHealthy)
  onInstanceHealthy(e: OrzoEvent<typeof Subjects.InstanceHealthy>, ctx: EventContext): Promise<HandlerOutcome> {
    return this.record(ctx, e.payload.replica, 'Healthy', e.envelope.occurredAt, e.payload.checkOutput);
  }

  @Subscribe(Subjects.InstanceUnhealthy)
  onInstanceUnhealthy(e: OrzoEvent<typeof Subjects.InstanceUnhealthy>, ctx: EventContext): Promise<HandlerOutcome> {
    // scheduler-bridge announces a replica it drains as unhealthy "draining: <why>".
    const draining = e.payload.checkOutput.startsWith('draining:');
    return this.record(
      ctx,
      e.payload.replica,
      draining ? 'Terminating' : 'Not Ready',
      e.envelope.occurredAt,
      e.payload.checkOutput,
      e.payload.consecutiveFailures,
    );
  }

  @Subscribe(Subjects.InstanceStopped)
  async onInstanceStopped(e: OrzoEvent<typeof Subjects.InstanceStopped>, ctx: EventContext): Promise<HandlerOutcome> {
    const replica = e.payload.replica;
    if (!replica) return NO_REPLICA;
    return outcomeOf(ctx, async () => {
      await this.view.remove(transactionOf(ctx), replica.replicaId);
      if (isUnexpectedExit(e.payload.reason)) await this.view.recordExit(transactionOf(ctx), replica, e.payload.reason, e.envelope.occurredAt);
    });
  }

  private async record(ctx: EventContext, replica: ReplicaRef | undefined, state: string, at: string, detail = '', failures = 0): Promise<HandlerOutcome> {
    if (!replica) return NO_REPLICA;
    return outcomeOf(ctx, () => this.view.record(transactionOf(ctx), replica, state, at, detail, failures));
  }
}

/** An instance event without its replica can never apply: no retry makes it whole. */
const NO_REPLICA = Outcome.deadLetter('the instance event names no replica');
