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
    // Reconciled once the transaction committed (level-triggered: the timer would catch it anyway).
    for (const s of mine) void this.whenStored(instanceKey(s), e.payload.deployId);
    return Outcome.ack();
  }

  /**
   * Requests a pass of the instance as soon as its desired state of this deploy can be read
   * outside the handler's transaction (on SQLite the read waits for the commit; on PostgreSQL
   * it sees the commit), looking every 5 ms for at most a second.
   */
  private async whenStored(key: string, deployId: string): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      await new Promise((r) => setTimeout(r, tries ? 5 : 0));
      if ((await this.desired.get(key).catch(() => undefined))?.deployId === deployId) break;
    }
    await this.reconciler.request(key);
  }
}
