import { EntityRepository } from '@mikro-orm/knex';
import type { JobActionRun, JobRun } from './job-run.entity';

const RUN_FIELDS: Array<keyof JobRun & string> = [
  'state',
  'rank',
  'trigger',
  'scheduledAt',
  'startedAt',
  'finishedAt',
  'reason',
  'gitSha',
  'image',
  'requestedBy',
  'updatedAt',
];

/** control_job_run, on the EntityManager it came from. */
export class JobRunRepository extends EntityRepository<JobRun> {
  /**
   * Writes a run unless its row already holds a later state: one statement, so two events of
   * the same run handled at once by two consumers cannot let the earlier one win. `action` is
   * kept from the first write (only run-requested knows it).
   */
  async putUnlessLater(run: JobRun): Promise<void> {
    await this.createQueryBuilder()
      .insert(run)
      .onConflict(['runId'])
      .merge(RUN_FIELDS.filter((f) => run[f] !== '' || f === 'state'))
      .where({ rank: { $lte: run.rank } })
      .execute('run');
  }

  /** The runs of a job, newest (by scheduled time) first. */
  ofJob(service: string, job: string, limit: number, cluster = ''): Promise<JobRun[]> {
    return this.find({ service, job, ...(cluster ? { cluster } : {}) }, { orderBy: { scheduledAt: 'desc', runId: 'desc' }, limit });
  }

  /** Deletes the runs of a job (on one cluster) past the newest `keep`; resolves to their ids. */
  async trim(service: string, cluster: string, job: string, keep: number): Promise<string[]> {
    const old = await this.find({ service, cluster, job }, { orderBy: { scheduledAt: 'desc', runId: 'desc' }, offset: keep, limit: 10_000, fields: ['runId'] });
    const ids = old.map((r) => r.runId);
    if (ids.length) await this.nativeDelete({ runId: { $in: ids } });
    return ids;
  }
}

const ACTION_FIELDS: Array<keyof JobActionRun & string> = ['state', 'rank', 'attempts', 'startedAt', 'finishedAt', 'exitCode', 'reason', 'log'];

/** control_job_action_run, on the EntityManager it came from. */
export class JobActionRunRepository extends EntityRepository<JobActionRun> {
  /** Writes an action's row unless it holds a later state already (see the entity's rank). */
  async putUnlessLater(a: JobActionRun): Promise<void> {
    await this.createQueryBuilder()
      .insert(a)
      .onConflict(['runId', 'name'])
      .merge(ACTION_FIELDS)
      .where({ rank: { $lte: a.rank } })
      .execute('run');
  }

  /** A pending row for each action of a run that has none yet. */
  async pending(runId: string, names: string[]): Promise<void> {
    for (const name of names) {
      await this.createQueryBuilder()
        .insert({ runId, name, state: 'pending', rank: 0, attempts: 0, startedAt: '', finishedAt: '', exitCode: 0, reason: '', log: '' })
        .onConflict(['runId', 'name'])
        .ignore()
        .execute('run');
    }
  }

  ofRun(runId: string): Promise<JobActionRun[]> {
    return this.find({ runId });
  }
}
