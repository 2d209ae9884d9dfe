import { EntityRepository } from '@mikro-orm/knex';
import type { Rollback } from './rollback.entity';

/** control_rollback, on the EntityManager it came from. */
export class RollbackRepository extends EntityRepository<Rollback> {
  async append(rollback: Rollback): Promise<void> {
    await this.insert(rollback);
  }

  /** Newest first. */
  ofService(service: string, limit = 1000): Promise<Rollback[]> {
    return this.find({ service }, { orderBy: { at: 'desc', id: 'desc' }, limit });
  }

  /** The rollback that marked this sha of the service bad, the latest if several did. */
  ofBadSha(service: string, gitSha: string): Promise<Rollback | null> {
    return this.findOne({ service, badGitSha: gitSha }, { orderBy: { at: 'desc' } });
  }
}
