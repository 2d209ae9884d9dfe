import { Injectable } from '@nestjs/common';
import { ReplicaRef } from '@orzo/contracts';
import { EntityManager } from '@orzo/persistence';
import { ReplicaSchema } from './replica.entity';

/** The replica read model behind `orzo status`, from the instance events. */
@Injectable()
export class ReplicaViewService {
  /** Events may arrive out of order across subjects: an older event never overwrites a newer one. */
  async record(em: EntityManager, r: ReplicaRef, state: string, at: string): Promise<void> {
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
      updatedAt: at,
    });
  }

  async remove(em: EntityManager, replicaId: string): Promise<void> {
    await em.getRepository(ReplicaSchema).remove(replicaId);
  }
}
