import { EntityRepository } from '@mikro-orm/knex';
import type { Replica } from './replica.entity';

/** control_replica, on the EntityManager it came from. */
export class ReplicaRepository extends EntityRepository<Replica> {
  /**
   * Writes the whole row of a replica unless the row there was set by a later event: one
   * statement (insert, or update where updated_at <= this one's), so two events of the same
   * replica handled at once by two consumers cannot let the older one win.
   */
  async putUnlessNewer(replica: Replica): Promise<void> {
    await this.createQueryBuilder()
      .insert(replica)
      .onConflict(['replicaId'])
      .merge()
      .where({ updatedAt: { $lte: replica.updatedAt } })
      .execute('run');
  }

  async remove(replicaId: string): Promise<void> {
    await this.nativeDelete({ replicaId });
  }

  ofService(service: string): Promise<Replica[]> {
    return this.find({ service }, { orderBy: { replicaId: 'asc' } });
  }
}
