import { EntityRepository } from '@mikro-orm/knex';
import type { PipelineRun } from './pipeline-run.entity';

/** control_pipeline_run, on the EntityManager it came from. */
export class PipelineRunRepository extends EntityRepository<PipelineRun> {
  /**
   * Claims the pipeline of a commit: true for exactly one caller, however many image-built
   * events of the commit race (the primary key decides, in the database).
   */
  async claim(service: string, gitSha: string, image: string): Promise<boolean> {
    const res = await this.createQueryBuilder()
      .insert({ service, gitSha, image, startedAt: new Date().toISOString() })
      .onConflict(['service', 'gitSha'])
      .ignore()
      .execute('run');
    return res.affectedRows > 0;
  }
}
