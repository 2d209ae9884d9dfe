import { EntityRepository } from '@mikro-orm/knex';
import type { InstanceProgress } from './instance-progress.entity';

/** control_instance_progress, on the EntityManager it came from. */
export class InstanceProgressRepository extends EntityRepository<InstanceProgress> {
  /** The whole row, unless the row there was set by a later event (one statement, as for replicas). */
  async putUnlessNewer(progress: InstanceProgress): Promise<void> {
    await this.createQueryBuilder()
      .insert(progress)
      .onConflict(['instanceKey'])
      .merge()
      .where({ updatedAt: { $lte: progress.updatedAt } })
      .execute('run');
  }

  ofService(service: string): Promise<InstanceProgress[]> {
    return this.find({ service }, { orderBy: { instanceKey: 'asc' } });
  }
}
