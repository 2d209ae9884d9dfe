import { Injectable } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { ReplicaLogsAnswer, Rpcs, api } from '@orzo/contracts';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '@orzo/platform';
import { shown } from '../shown';
import { SoaConfigSource } from '../soa/soa-config.source';
import { ReplicaLine, SeenLines, sinceToUnix } from './log-window';

/** How often a follower asks the bridges for what is new. */
export const FOLLOW_POLL_MS = 1_000;
/** Each page overlaps the previous one by this much, so a line stamped just before an ask and written just after is not missed. */
const OVERLAP_MS = 2_000;

export interface LogSink {
  /** Writes one line; resolves when the client can take more (gRPC flow control). */
  write(line: ReplicaLine): Promise<void>;
  cancelled(): boolean;
}

/**
 * `orzo logs` for instances: the replicas' output, read by the scheduler-bridge of each
 * cluster from its engine (Rpcs.replicaLogs), interleaved by time. Following asks again every
 * second for the lines since the last ask: the caller pulls, so a slow client slows the asking
 * and nothing piles up anywhere, and a replica started meanwhile is in the next page.
 */
@Injectable()
export class InstanceLogsService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly bus: BusService,
  ) {}

  async stream(req: api.GetInstanceLogsRequest, sink: LogSink): Promise<void> {
    if (!req.service) throw new InvalidArgumentError('service is required');
    const svc = this.soa.service(req.service);
    const instances = svc.instances.filter((i) => (!req.cluster || i.cluster === req.cluster) && (!req.instance || i.instance === req.instance));
    if (!instances.length)
      throw new NotFoundError(
        `${req.service} has no instance ${shown(req.instance) || '*'} on cluster ${shown(req.cluster) || '*'}; it has: ${svc.instances.map((i) => `${i.cluster}.${i.instance}`).join(', ') || '(none)'}`,
      );
    if (!['', 'stdout', 'stderr'].includes(req.stream)) throw new InvalidArgumentError(`stream ${shown(req.stream)} is not stdout or stderr`);
    const since = req.since ? sinceToUnix(req.since) : '';
    if (since === undefined) throw new InvalidArgumentError(`since ${shown(req.since)} is neither a duration (10m, 2h) nor an RFC 3339 time`);
    const lines = Math.min(Math.max(req.lines || 100, 1), 10_000);
    const clusters = [...new Set(instances.map((i) => i.cluster))];
    const stream = req.stream as '' | 'stdout' | 'stderr';
    const seen = new SeenLines();
    let asked = Date.now();
    const first = await this.page(req, clusters, { tail: lines, since, stream }, true);
    for (const l of seen.fresh(first)) await sink.write(l);
    while (req.follow && !sink.cancelled()) {
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      if (sink.cancelled()) return;
      const from = ((asked - OVERLAP_MS) / 1000).toFixed(3);
      asked = Date.now();
      const next = await this.page(req, clusters, { tail: 10_000, since: from, stream }, false);
      for (const l of seen.fresh(next)) {
        if (sink.cancelled()) return;
        await sink.write(l);
      }
    }
  }

  /**
   * One page from every cluster's bridge. On the first page a replica id that no cluster
   * knows is not-found; a cluster whose bridge does not answer is an error on the first page
   * and skipped while following (it may come back).
   */
  private async page(
    req: api.GetInstanceLogsRequest,
    clusters: string[],
    window: { tail: number; since: string; stream: '' | 'stdout' | 'stderr' },
    first: boolean,
  ): Promise<ReplicaLine[]> {
    const answers = await Promise.all(
      clusters.map(async (cluster) => {
        try {
          const a = await this.bus.request(
            Rpcs.replicaLogs(cluster),
            { service: req.service, instance: req.instance, replicaId: req.replicaId, ...window },
            { timeout: 10_000 },
          );
          return { cluster, answer: a };
        } catch (err) {
          if (err instanceof NotFoundError && req.replicaId) return { cluster, answer: undefined };
          if (!first && err instanceof UnavailableError) return { cluster, answer: undefined };
          throw err;
        }
      }),
    );
    if (first && req.replicaId && answers.every((a) => !a.answer))
      throw new NotFoundError(`${req.service} has no replica ${shown(req.replicaId)}${req.cluster ? ` on cluster ${req.cluster}` : ''} (see orzo status -v)`);
    return answers.flatMap(({ cluster, answer }) => (answer ? linesOf(cluster, answer) : []));
  }
}

function linesOf(cluster: string, a: ReplicaLogsAnswer): ReplicaLine[] {
  const replicas = new Map(a.replicas.map((r) => [r.id, r]));
  return a.lines.map((l) => ({
    at: l.at,
    cluster,
    instance: replicas.get(l.replicaId)?.instance ?? '',
    replicaId: l.replicaId,
    replicaName: replicas.get(l.replicaId)?.name ?? '',
    stream: l.stream,
    line: l.line,
  }));
}
