import { Inject, Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { SERVICE_CONFIG } from '@orzo/platform';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { Reconciler } from '../reconcile/reconciler';

/**
 * instance.unhealthy from monitor-bridge (a replica failed healthcheck_max_consecutive_failures
 * checks in a row after its grace period): the replica is replaced through the reconciler.
 * A drain's own "draining" announcement (no failures) is not a health verdict and is skipped.
 */
@Injectable()
export class UnhealthyReplicaHandler {
  private readonly clusters: Set<string>;

  constructor(
    private readonly reconciler: Reconciler,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = new Set(schedulerClusters(config));
  }

  @Subscribe(Subjects.InstanceUnhealthy)
  onInstanceUnhealthy(e: OrzoEvent<typeof Subjects.InstanceUnhealthy>, ctx: EventContext): Promise<HandlerOutcome> {
    const { replica, consecutiveFailures, checkOutput } = e.payload;
    if (!replica || !this.clusters.has(replica.cluster) || consecutiveFailures === 0 || checkOutput.startsWith('draining:'))
      return Promise.resolve(Outcome.ack());
    ctx.log.info({ replica: replica.replicaId, consecutiveFailures, checkOutput }, 'unhealthy replica reported; replacing it');
    // In the background, in the instance's queue: the replacement waits for the new replica to be happy.
    void this.reconciler.replaceUnhealthy(`${replica.service}/${replica.cluster}/${replica.instance}`, replica.replicaId, consecutiveFailures);
    return Promise.resolve(Outcome.ack());
  }
}
