import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { MonitorService } from './monitor.service';

@Injectable()
export class MonitorHandlers {
  constructor(private readonly monitor: MonitorService) {}

  @Subscribe(Subjects.DeployRequested)
  async onDeployRequested(e: OrzoEvent<typeof Subjects.DeployRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    for (const spec of e.payload.specs) await this.monitor.saveSpec(transactionOf(ctx), spec);
    return Outcome.ack();
  }

  @Subscribe(Subjects.InstanceStarted)
  async onInstanceStarted(e: OrzoEvent<typeof Subjects.InstanceStarted>, ctx: EventContext): Promise<HandlerOutcome> {
    await this.monitor.saveReplica(transactionOf(ctx), e.payload.replica!, e.payload.registrations);
    return Outcome.ack();
  }

  @Subscribe(Subjects.InstanceStopped)
  async onInstanceStopped(e: OrzoEvent<typeof Subjects.InstanceStopped>, ctx: EventContext): Promise<HandlerOutcome> {
    await this.monitor.forgetReplica(transactionOf(ctx), e.payload.replica!.replicaId);
    return Outcome.ack();
  }
}
