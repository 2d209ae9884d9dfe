import { LockMode } from '@mikro-orm/core';
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

  /**
   * Serialises the steps of one commit's pipeline (PostgreSQL: a row lock held to the end of the
   * caller's transaction; SQLite has one writer anyway): two parallel deploys that complete at
   * the same time then see each other, and exactly one of them goes on.
   */
  async lock(service: string, gitSha: string, image: string, rowLock: boolean): Promise<void> {
    if (!rowLock) return;
    // The row exists once image-built started the pipeline; a commit marked by hand gets it here.
    await this.claim(service, gitSha, image);
    await this.createQueryBuilder().select('*').where({ service, gitSha }).setLockMode(LockMode.PESSIMISTIC_WRITE).execute('all');
  }
}
