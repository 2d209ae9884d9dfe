import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { Rpcs, api } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { FailedPreconditionError } from '@orzo/platform';
import { HistoryService } from '../history/history.service';
import { InstanceOverride, InstanceOverrideSchema, overrideKey } from './instance-override.entity';
import { InstanceRespec } from './instance-respec.service';

/**
 * `orzo restart`: every replica of an instance is replaced through its bounce method (a new
 * restart token in the spec makes every running replica "old" for the bounce: a crossover
 * starts new ones, waits until they are healthy and UP in discovery, then drains the old); or,
 * with a replica id, a replacement of that one replica is started and, once happy, the replica
 * is drained through discovery and stopped (scheduler-bridge of its cluster does it).
 */
@Injectable()
export class RestartService {
  constructor(
    private readonly respec: InstanceRespec,
    private readonly db: DatabaseHolder,
    private readonly bus: BusService,
    private readonly history: HistoryService,
  ) {}

  async restart(req: api.RestartInstanceRequest): Promise<api.RestartInstanceResponse> {
    const ref = this.respec.find(req.service, req.cluster, req.instance);
    const by = req.requestedBy || 'unknown';
    const where = `${ref.instance.cluster}.${ref.instance.instance}`;
    if (req.replicaId) {
      const mark = await this.respec.currentMark(ref);
      if (!mark)
        throw new FailedPreconditionError(
          `${ref.svc.name}.${ref.instance.instance} in ${ref.instance.cluster} runs nothing yet: its deploy group ${ref.instance.deployGroup} was never marked`,
        );
      const answer = await this.bus.request(
        Rpcs.restartReplica(ref.instance.cluster),
        { service: ref.svc.name, instance: ref.instance.instance, replicaId: req.replicaId, by },
        { timeout: 10_000 },
      );
      await this.db.database.em().transactional((em) =>
        this.history.record(em, {
          service: ref.svc.name,
          kind: 'restart',
          deployGroup: ref.instance.deployGroup,
          gitSha: mark.gitSha,
          actor: by,
          detail: `${where}: restart of replica ${answer.name} (a replacement first, then it is drained)`,
        }),
      );
      return {
        forceBounce: '',
        replicaId: answer.replicaId,
        detail: `replica ${answer.name} of ${where} is being replaced: a replacement starts, then it is drained`,
      };
    }
    const key = overrideKey(ref.svc.name, ref.instance.cluster, ref.instance.instance);
    const existing = await this.db.database.em().getRepository(InstanceOverrideSchema).findOne({ instanceKey: key }, { disableIdentityMap: true });
    const token = `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
    const row: InstanceOverride = existing
      ? { ...existing, forceBounce: token }
      : {
          instanceKey: key,
          service: ref.svc.name,
          cluster: ref.instance.cluster,
          instance: ref.instance.instance,
          instances: null,
          expiresAt: null,
          setBy: by,
          setAt: new Date().toISOString(),
          forceBounce: token,
        };
    const method = ref.instance.bounce.method;
    await this.respec.apply(ref, { kind: 'restart', actor: by, detail: `${where}: restart of every replica (${method} bounce, generation ${token})` }, row, {
      requireMark: true,
    });
    return { forceBounce: token, replicaId: '', detail: `every replica of ${where} is being replaced through its ${method} bounce` };
  }
}
