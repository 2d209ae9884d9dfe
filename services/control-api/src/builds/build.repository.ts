import { EntityRepository } from '@mikro-orm/knex';
import type { Build } from './build.entity';

/** control_build, on the EntityManager it came from. */
export class BuildRepository extends EntityRepository<Build> {
  byId(buildId: string): Promise<Build | null> {
    return this.findOne({ buildId });
  }

  /** A service's builds, newest request first. */
  latest(service: string, limit: number): Promise<Build[]> {
    return this.find({ service }, { orderBy: { requestedAt: 'desc', buildId: 'asc' }, limit });
  }

  async add(build: Build): Promise<void> {
    await this.insert(build);
  }

  /** Sets the given fields of one build; the others keep their value. */
  async change(buildId: string, fields: Partial<Omit<Build, 'buildId'>>): Promise<void> {
    await this.nativeUpdate({ buildId }, fields);
  }
}
