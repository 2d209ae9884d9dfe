import { Inject, Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { SERVICE_CONFIG } from '@orzo/platform';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { DesiredStateRepository, instanceKey } from './desired-state.repository';
import { Reconciler } from './reconciler';

/** Stores the desired spec of every instance on this bridge's clusters, then reconciles them. */
@Injectable()
export class DeployRequestedHandler {
  private readonly clusters: Set<string>;

  constructor(
    private readonly desired: DesiredStateRepository,
    private readonly reconciler: Reconciler,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = new Set(schedulerClusters(config));
  }

  @Subscribe(Subjects.DeployRequested)
  async onDeployRequested(e: OrzoEvent<typeof Subjects.DeployRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    const mine = e.payload.specs.filter((s) => this.clusters.has(s.cluster));
    for (const spec of mine) await this.desired.save(transactionOf(ctx), e.payload.deployId, spec, e.envelope.occurredAt);
    ctx.log.info({ instances: mine.map(instanceKey), deployId: e.payload.deployId }, 'desired state recorded');
    // After the transaction commits (level-triggered: the timer would catch it anyway).
    setTimeout(() => mine.forEach((s) => void this.reconciler.request(instanceKey(s))), 50).unref();
    return Outcome.ack();
  }
}
