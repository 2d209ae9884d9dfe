import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { InstanceChecks } from './checks/instance-checks.service';
import { MonitorService } from './monitor.service';

@Injectable()
export class MonitorHandlers {
  constructor(
    private readonly monitor: MonitorService,
    private readonly checks: InstanceChecks,
  ) {}

  @Subscribe(Subjects.DeployRequested)
  async onDeployRequested(e: OrzoEvent<typeof Subjects.DeployRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    for (const spec of e.payload.specs) {
      await this.monitor.saveSpec(transactionOf(ctx), spec);
      this.checks.onSpec(spec);
    }
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
    this.checks.onStopped(e.payload);
    return Outcome.ack();
  }

  @Subscribe(Subjects.DeployFailed)
  onDeployFailed(e: OrzoEvent<typeof Subjects.DeployFailed>): Promise<HandlerOutcome> {
    this.checks.onDeployFailed(e.payload);
    return Promise.resolve(Outcome.ack());
  }

  @Subscribe(Subjects.DeployCompleted)
  onDeployCompleted(e: OrzoEvent<typeof Subjects.DeployCompleted>): Promise<HandlerOutcome> {
    this.checks.onDeployCompleted(e.payload);
    return Promise.resolve(Outcome.ack());
  }
}
