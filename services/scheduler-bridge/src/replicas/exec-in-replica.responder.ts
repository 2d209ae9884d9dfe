import { Inject, Injectable } from '@nestjs/common';
import { Respond, RpcContext } from '@orzo/bus';
import { ExecInReplicaAnswer, ExecInReplicaCall, Rpcs } from '@orzo/contracts';
import { NotFoundError, SERVICE_CONFIG, UnavailableError } from '@orzo/platform';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { ReplicaNotRunningError } from '../engine/docker-exec';
import { ENGINES, Engines } from '../engine/engines';
import { clusterOf } from './restart-replica.responder';

/**
 * A command inside a running replica, for monitor-bridge's healthcheck_cmd checks: the engine
 * is scheduler-bridge's, so the check asks here. The reply is the command's exit code and
 * output; a command past its timeout answers timedOut (the check fails), never an error.
 */
@Injectable()
export class ExecInReplicaResponder {
  readonly clusters: string[];

  constructor(
    @Inject(ENGINES) private readonly engines: Engines,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = schedulerClusters(config);
  }

  @Respond(Rpcs.execInReplica, { params: (self: ExecInReplicaResponder) => self.clusters })
  async exec(req: ExecInReplicaCall, ctx: RpcContext): Promise<ExecInReplicaAnswer> {
    const cluster = clusterOf(this.clusters, Rpcs.execInReplica, ctx);
    try {
      return await this.engines.of(cluster).exec(req.replicaId, req.cmd, req.timeoutMs);
    } catch (err) {
      if (err instanceof ReplicaNotRunningError) throw new NotFoundError(`${err.message} on cluster ${cluster}`);
      throw new UnavailableError(`exec in replica ${req.replicaId} on cluster ${cluster} failed: ${(err as Error).message}`);
    }
  }
}
