import { Injectable } from '@nestjs/common';
import { EventContext, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { MonitorService } from './monitor.service';

@Injectable()
export class MonitorHandlers {
  constructor(private readonly monitor: MonitorService) {}

  @Subscribe(Subjects.DeployRequested)
  async onDeployRequested(e: OrzoEvent<typeof Subjects.DeployRequested>, ctx: EventContext): Promise<void> {
    for (const spec of e.payload.specs) await this.monitor.saveSpec(transactionOf(ctx), spec);
  }

  @Subscribe(Subjects.InstanceStarted)
  async onInstanceStarted(e: OrzoEvent<typeof Subjects.InstanceStarted>, ctx: EventContext): Promise<void> {
    await this.monitor.saveReplica(transactionOf(ctx), e.payload.replica!, e.payload.registrations);
  }

  @Subscribe(Subjects.InstanceStopped)
  async onInstanceStopped(e: OrzoEvent<typeof Subjects.InstanceStopped>, ctx: EventContext): Promise<void> {
    await this.monitor.forgetReplica(transactionOf(ctx), e.payload.replica!.replicaId);
  }
}
