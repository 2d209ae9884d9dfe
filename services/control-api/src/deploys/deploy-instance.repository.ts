import { EntityRepository } from '@mikro-orm/knex';
import type { DeployInstance } from './deploy-instance.entity';

const ADVANCE_CLAIM = '*';

/** control_deploy_instance, on the EntityManager it came from. */
export class DeployInstanceRepository extends EntityRepository<DeployInstance> {
  /** One 'requested' row per instance a deploy touches. */
  async requested(deployId: string, instanceKeys: readonly string[]): Promise<void> {
    if (instanceKeys.length) await this.insertMany(instanceKeys.map((instanceKey) => ({ deployId, instanceKey, state: 'requested' as const })));
  }

  /** Marks one instance completed; resolves to how many of the deploy's instances are still open. */
  async complete(deployId: string, instanceKey: string): Promise<number> {
    await this.nativeUpdate({ deployId, instanceKey }, { state: 'completed' });
    return this.count({ deployId, state: { $ne: 'completed' } });
  }

  /** Marks one instance of a deploy failed, unless it completed. */
  async fail(deployId: string, instanceKey: string, reason: string): Promise<void> {
    await this.nativeUpdate({ deployId, instanceKey, state: { $ne: 'completed' } }, { state: 'failed', reason });
  }

  /** The instance rows of some deploys (not the advance claims). */
  ofDeploys(deployIds: string[]): Promise<DeployInstance[]> {
    return deployIds.length ? this.find({ deployId: { $in: deployIds }, instanceKey: { $ne: ADVANCE_CLAIM } }) : Promise.resolve([]);
  }

  /** How many rows of a deploy are not completed (its instances, and a failed claim). */
  openCount(deployId: string): Promise<number> {
    return this.count({ deployId, state: { $ne: 'completed' } });
  }

  /** Whether a deploy has instance rows and none claimed yet (neither advanced nor timed out). */
  async waiting(deployId: string): Promise<boolean> {
    const rows = await this.find({ deployId }, { fields: ['instanceKey', 'state'] });
    return rows.length > 0 && !rows.some((r) => r.instanceKey === ADVANCE_CLAIM);
  }

  /**
   * Claims a deploy as timed out: true for exactly one caller, and only while its advance is not
   * claimed (the claim row is then 'failed': a later completion finds it and goes nowhere); its
   * open instances are marked failed with the reason.
   */
  async claimTimeout(deployId: string, reason: string): Promise<boolean> {
    const res = await this.createQueryBuilder()
      .insert({ deployId, instanceKey: ADVANCE_CLAIM, state: 'failed', reason })
      .onConflict(['deployId', 'instanceKey'])
      .ignore()
      .execute('run');
    if (res.affectedRows === 0) return false;
    await this.nativeUpdate({ deployId, state: 'requested' }, { state: 'failed', reason });
    return true;
  }

  /**
   * Claims the advance of a deploy whose instances all completed: true for exactly one caller,
   * however many completions race (the claim row's primary key decides, in the database).
   */
  async claimAdvance(deployId: string): Promise<boolean> {
    const res = await this.createQueryBuilder()
      .insert({ deployId, instanceKey: ADVANCE_CLAIM, state: 'completed' })
      .onConflict(['deployId', 'instanceKey'])
      .ignore()
      .execute('run');
    return res.affectedRows > 0;
  }
}
