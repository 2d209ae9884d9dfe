import { EntityRepository } from '@mikro-orm/knex';
import type { Replica } from './replica.entity';

const MERGED: Array<keyof Replica & string> = [
  'service',
  'instance',
  'cluster',
  'host',
  'port',
  'gitSha',
  'configHash',
  'state',
  'detail',
  'failures',
  'updatedAt',
];

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
      // forceBounce is not merged: only instance.started knows it (setGeneration).
      .merge(MERGED)
      .where({ updatedAt: { $lte: replica.updatedAt } })
      .execute('run');
  }

  /** The restart generation of a replica, whatever the order its events came in. */
  async setGeneration(replicaId: string, forceBounce: string): Promise<void> {
    await this.nativeUpdate({ replicaId }, { forceBounce });
  }

  async remove(replicaId: string): Promise<void> {
    await this.nativeDelete({ replicaId });
  }

  ofService(service: string): Promise<Replica[]> {
    return this.find({ service }, { orderBy: { replicaId: 'asc' } });
  }
}
