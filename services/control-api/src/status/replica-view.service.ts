import { Injectable } from '@nestjs/common';
import { ReplicaRef } from '@orzo/contracts';
import { EntityManager } from '@orzo/persistence';
import { ReplicaExitSchema } from './replica-exit.entity';
import { ReplicaSchema } from './replica.entity';

/** The replica read model behind `orzo status`, from the instance events. */
@Injectable()
export class ReplicaViewService {
  /** Events may arrive out of order across subjects: an older event never overwrites a newer one. */
  async record(em: EntityManager, r: ReplicaRef, state: string, at: string, detail = '', failures = 0): Promise<void> {
    await em.getRepository(ReplicaSchema).putUnlessNewer({
      replicaId: r.replicaId,
      service: r.service,
      instance: r.instance,
      cluster: r.cluster,
      host: r.host,
      port: r.port,
      gitSha: r.gitSha,
      configHash: r.configHash,
      state,
      detail,
      failures,
      forceBounce: r.forceBounce,
      updatedAt: at,
    });
  }

  /** From instance.started: the restart generation the replica runs under. */
  async recordGeneration(em: EntityManager, r: ReplicaRef): Promise<void> {
    await em.getRepository(ReplicaSchema).setGeneration(r.replicaId, r.forceBounce);
  }

  async remove(em: EntityManager, replicaId: string): Promise<void> {
    await em.getRepository(ReplicaSchema).remove(replicaId);
  }

  /** A replica that stopped on its own is remembered a day (restart counts, Warning). */
  async recordExit(em: EntityManager, r: ReplicaRef, reason: string, at: string): Promise<void> {
    const exits = em.getRepository(ReplicaExitSchema);
    await exits.upsert({ replicaId: r.replicaId, service: r.service, cluster: r.cluster, instance: r.instance, gitSha: r.gitSha, reason, at });
    await exits.nativeDelete({ service: r.service, at: { $lt: new Date(Date.parse(at) - 86_400_000).toISOString() } });
  }
}
