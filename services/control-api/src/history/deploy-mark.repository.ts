import { EntityRepository } from '@mikro-orm/knex';
import type { DeployMark } from './deploy-mark.entity';

/** control_deploy_mark, on the EntityManager it came from. */
export class DeployMarkRepository extends EntityRepository<DeployMark> {
  async append(mark: DeployMark): Promise<void> {
    await this.insert(mark);
  }

  byDeployId(deployId: string): Promise<DeployMark | null> {
    return this.findOne({ id: deployId });
  }

  /** The desired version of a deploy group: its latest mark (control_deploy_mark_group serves it). */
  latestOf(service: string, deployGroup: string): Promise<DeployMark | null> {
    return this.findOne({ service, deployGroup }, { orderBy: { createdAt: 'desc' } });
  }

  /** The latest marks of a deploy group, newest first. */
  recentOf(service: string, deployGroup: string, limit: number): Promise<DeployMark[]> {
    return this.find({ service, deployGroup }, { orderBy: { createdAt: 'desc' }, limit });
  }
}
