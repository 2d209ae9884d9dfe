import { Inject, Injectable } from '@nestjs/common';
import { Respond, RpcContext } from '@orzo/bus';
import { ReplicaLogsAnswer, ReplicaLogsCall, Rpcs } from '@orzo/contracts';
import { InvalidArgumentError, NotFoundError, SERVICE_CONFIG, UnavailableError } from '@orzo/platform';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { Replica } from '../engine/engine';
import { ENGINES, Engines } from '../engine/engines';
import { clusterOf } from '../replicas/restart-replica.responder';
import { mergeByTime, normalizeStamp } from './log-merge';

/** A reply stays well under NATS's default 1 MiB max_payload. */
const MAX_REPLY_BYTES = 512 * 1024;
/** One line longer than this is cut (a binary blob on stdout must not fill a reply). */
const MAX_LINE_CHARS = 8 * 1024;

/**
 * The output of replicas, read from the engine on request (`orzo logs`): control-api asks for
 * the tail, then, to follow, asks again with a later `since`. Every request lists the
 * replicas again, so one started in between is included; one removed since is not.
 */
@Injectable()
export class ReplicaLogsResponder {
  readonly clusters: string[];

  constructor(
    @Inject(ENGINES) private readonly engines: Engines,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = schedulerClusters(config);
  }

  @Respond(Rpcs.replicaLogs, { params: (self: ReplicaLogsResponder) => self.clusters })
  async replicaLogs(req: ReplicaLogsCall, ctx: RpcContext): Promise<ReplicaLogsAnswer> {
    const cluster = clusterOf(this.clusters, Rpcs.replicaLogs, ctx);
    let replicas: Replica[];
    try {
      replicas = await this.engines.of(cluster).list({ service: req.service, cluster, ...(req.instance ? { instance: req.instance } : {}) });
    } catch (err) {
      throw new UnavailableError(`the engine of cluster ${cluster} could not list replicas: ${(err as Error).message}`);
    }
    if (req.replicaId) {
      replicas = replicas.filter((r) => r.id.startsWith(req.replicaId) || r.name === req.replicaId);
      if (replicas.length > 1) throw new InvalidArgumentError(`replica id ${req.replicaId} matches ${replicas.length} replicas: give more of it`);
      if (!replicas.length) throw new NotFoundError(`${req.service} has no replica ${req.replicaId} on cluster ${cluster} (see orzo status -v)`);
    }
    const perReplica = await Promise.all(
      replicas.map(async (r) => {
        const lines = await this.engines
          .of(cluster)
          .logs(r.id, { tail: req.tail, since: req.since || undefined, stdout: req.stream !== 'stderr', stderr: req.stream !== 'stdout' })
          // A replica removed between the list and the read has nothing more to say.
          .catch((err: unknown) => (ctx.log.debug({ err, replica: r.id }, 'logs of a replica could not be read'), []));
        return lines.map((l) => ({ at: normalizeStamp(l.at), replicaId: r.id, stream: l.stream, line: l.line.slice(0, MAX_LINE_CHARS) }));
      }),
    );
    const { lines, truncated } = mergeByTime(perReplica, MAX_REPLY_BYTES);
    return { replicas: replicas.map((r) => ({ id: r.id, name: r.name, instance: r.instance, running: r.running })), lines, truncated };
  }
}
