import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { RegistrarService } from './registrar.service';

/**
 * Health changes are handled as they arrive, not one after another: the registrar makes each
 * change in memory and issues its writes synchronously, in arrival order, so a replica's route
 * does not wait for the writes of the change before it (RegistrarService).
 */
const CONCURRENCY = 64;

/** Thin handlers: the effects are state-based (sets of endpoints), so a redelivery changes nothing. */
@Injectable()
export class DiscoveryHandlers {
  constructor(private readonly discovery: RegistrarService) {}

  @Subscribe(Subjects.DeployRequested, { idempotent: false })
  async onDeployRequested(e: OrzoEvent<typeof Subjects.DeployRequested>, _ctx: EventContext): Promise<HandlerOutcome> {
    await this.discovery.setFrontends(e.payload.specs.flatMap((s) => s.registrationDetails));
    return Outcome.ack();
  }

  @Subscribe(Subjects.InstanceHealthy, { idempotent: false, concurrency: CONCURRENCY })
  async onInstanceHealthy(e: OrzoEvent<typeof Subjects.InstanceHealthy>, _ctx: EventContext): Promise<HandlerOutcome> {
    await this.discovery.healthy(e.payload.replica!, e.payload.registrations, e.envelope.occurredAt);
    return Outcome.ack();
  }

  @Subscribe(Subjects.InstanceUnhealthy, { idempotent: false, concurrency: CONCURRENCY })
  async onInstanceUnhealthy(e: OrzoEvent<typeof Subjects.InstanceUnhealthy>, _ctx: EventContext): Promise<HandlerOutcome> {
    // scheduler-bridge announces a drain as unhealthy "draining: ..."; a drained replica is stopped next.
    await this.discovery.gone(e.payload.replica!, e.envelope.occurredAt, e.payload.checkOutput.startsWith('draining'));
    return Outcome.ack();
  }

  @Subscribe(Subjects.InstanceStopped, { idempotent: false, concurrency: CONCURRENCY })
  async onInstanceStopped(e: OrzoEvent<typeof Subjects.InstanceStopped>, _ctx: EventContext): Promise<HandlerOutcome> {
    await this.discovery.gone(e.payload.replica!, e.envelope.occurredAt, true);
    return Outcome.ack();
  }
}
