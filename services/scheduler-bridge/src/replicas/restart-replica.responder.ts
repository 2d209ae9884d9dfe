import { Inject, Injectable } from '@nestjs/common';
import { Respond, RpcContext } from '@orzo/bus';
import { RestartReplicaAnswer, RestartReplicaCall, Rpcs } from '@orzo/contracts';
import { InvalidArgumentError, NotFoundError, SERVICE_CONFIG } from '@orzo/platform';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { Reconciler } from '../reconcile/reconciler';

/** `orzo restart --replica`: one replica of an instance on a cluster this bridge runs is replaced. */
@Injectable()
export class RestartReplicaResponder {
  readonly clusters: string[];

  constructor(
    private readonly reconciler: Reconciler,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = schedulerClusters(config);
  }

  @Respond(Rpcs.restartReplica, { params: (self: RestartReplicaResponder) => self.clusters })
  async restartReplica(req: RestartReplicaCall, ctx: RpcContext): Promise<RestartReplicaAnswer> {
    const cluster = clusterOf(this.clusters, Rpcs.restartReplica, ctx);
    const replaced = await this.reconciler.replaceReplica(`${req.service}/${cluster}/${req.instance}`, req.replicaId, req.by || 'unknown');
    if (replaced === 'ambiguous')
      throw new InvalidArgumentError(`replica id ${req.replicaId} matches more than one replica of ${req.service}.${req.instance}: give more of it`);
    if (!replaced) throw new NotFoundError(`${req.service}.${req.instance} in ${cluster} has no running replica ${req.replicaId} (see orzo status -v)`);
    return { replicaId: replaced.id, name: replaced.name };
  }
}

/** The cluster a request of an RPC family was sent for: the one whose subject it came on. */
export function clusterOf(clusters: readonly string[], family: (cluster: string) => { subject: string }, ctx: RpcContext): string {
  const cluster = clusters.find((c) => family(c).subject === ctx.subject);
  if (!cluster) throw new Error(`no cluster of this bridge is served on ${ctx.subject}`);
  return cluster;
}
