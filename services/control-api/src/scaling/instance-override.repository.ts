import { EntityRepository } from '@mikro-orm/knex';
import type { InstanceOverride } from './instance-override.entity';

/** control_instance_override, on the EntityManager it came from. */
export class InstanceOverrideRepository extends EntityRepository<InstanceOverride> {
  async put(row: InstanceOverride): Promise<void> {
    await this.createQueryBuilder().insert(row).onConflict(['instanceKey']).merge().execute('run');
  }

  ofService(service: string): Promise<InstanceOverride[]> {
    return this.find({ service }, { orderBy: { instanceKey: 'asc' } });
  }

  /** Count overrides whose expiry has passed, oldest first. */
  expired(now: string): Promise<InstanceOverride[]> {
    return this.find({ expiresAt: { $ne: null, $lte: now } }, { orderBy: { expiresAt: 'asc' }, limit: 100 });
  }

  /**
   * Lifts an expired count override, once: true only for the caller whose update found it as
   * it was read (two control-apis, or a timer tick racing a new --set, cannot both lift it).
   */
  async lapse(key: string, expiresAt: string): Promise<boolean> {
    return (await this.nativeUpdate({ instanceKey: key, expiresAt }, { instances: null, expiresAt: null })) > 0;
  }
}
