import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DatabaseHolder } from '@orzo/persistence';
import type { EntityManager as SqlEntityManager } from '@orzo/persistence';

export type BuildState = 'queued' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface BuildRow {
  id: string;
  service: string;
  commit_sha: string;
  git_url: string;
  dockerfile: string;
  context: string;
  build_args: string;
  force: number;
  skip_pipeline: number;
  requested_by: string;
  correlation_id: string;
  image: string;
  state: BuildState;
  follows: string | null;
  step: string | null;
  error: string | null;
  log_tail: string | null;
  image_id: string | null;
  digest: string | null;
  result_event_id: string | null;
  result_published: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface BuildOutcome {
  state: 'succeeded' | 'failed' | 'cancelled';
  step?: string;
  error?: string;
  logTail?: string[];
  imageId?: string;
  digest?: string;
}

type Exec = { execute<T = unknown>(sql: string, params?: unknown[], method?: 'all' | 'get' | 'run'): Promise<T> };

/** The builder's record of builds (SQL on SQLite or PostgreSQL). */
@Injectable()
export class BuildStore {
  constructor(private readonly db: DatabaseHolder) {}

  private get em(): Exec {
    return this.db.database.em() as unknown as Exec;
  }

  /** Records a request; a request seen before (same id) is left as it is. */
  async insert(
    tx: SqlEntityManager,
    b: Omit<
      BuildRow,
      'state' | 'follows' | 'step' | 'error' | 'log_tail' | 'image_id' | 'digest' | 'result_event_id' | 'result_published' | 'started_at' | 'finished_at'
    >,
  ): Promise<void> {
    const existing = await tx.execute<unknown[]>('select id from builder_build where id = ?', [b.id]);
    if (existing.length) return;
    await tx.execute(
      `insert into builder_build (id, service, commit_sha, git_url, dockerfile, context, build_args, force, skip_pipeline, requested_by, correlation_id, image, state, result_published, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?)`,
      [
        b.id,
        b.service,
        b.commit_sha,
        b.git_url,
        b.dockerfile,
        b.context,
        b.build_args,
        b.force,
        b.skip_pipeline,
        b.requested_by,
        b.correlation_id,
        b.image,
        b.created_at,
      ],
    );
  }

  async get(id: string): Promise<BuildRow | undefined> {
    return (await this.em.execute<BuildRow[]>('select * from builder_build where id = ?', [id]))[0];
  }

  async inState(...states: BuildState[]): Promise<BuildRow[]> {
    return this.em.execute<BuildRow[]>(`select * from builder_build where state in (${states.map(() => '?').join(', ')}) order by created_at, id`, states);
  }

  /** The build of the same image that is running or already succeeded, if any. */
  async sameCommit(b: BuildRow, states: BuildState[]): Promise<BuildRow | undefined> {
    const rows = await this.em.execute<BuildRow[]>(
      `select * from builder_build where service = ? and commit_sha = ? and image = ? and id <> ? and follows is null and state in (${states.map(() => '?').join(', ')}) order by created_at desc`,
      [b.service, b.commit_sha, b.image, b.id, ...states],
    );
    return rows[0];
  }

  /** Moves a build from one state to another; false when it was not in `from` any more. */
  async transition(id: string, from: BuildState, to: BuildState, extra: { follows?: string } = {}): Promise<boolean> {
    const now = new Date().toISOString();
    const rows = await this.em.execute<unknown[]>(
      `update builder_build set state = ?, follows = coalesce(?, follows), started_at = case when ? = 'running' then ? else started_at end where id = ? and state = ? returning id`,
      [to, extra.follows ?? null, to, now, id, from],
      'all',
    );
    return rows.length > 0;
  }

  /** Records the outcome, with the id its announcement will carry (kept across retries of that announcement). */
  async finish(id: string, o: BuildOutcome): Promise<void> {
    await this.em.execute(
      `update builder_build set state = ?, step = ?, error = ?, log_tail = ?, image_id = ?, digest = ?, result_event_id = ?, result_published = 0, finished_at = ? where id = ?`,
      [
        o.state,
        o.step ?? null,
        o.error ?? null,
        JSON.stringify(o.logTail ?? []),
        o.imageId ?? null,
        o.digest ?? null,
        randomUUID(),
        new Date().toISOString(),
        id,
      ],
    );
  }

  async markPublished(id: string): Promise<void> {
    await this.em.execute('update builder_build set result_published = 1 where id = ?', [id]);
  }

  /** Finished builds whose outcome event was not stored by JetStream yet (a crash in between). */
  async unpublished(): Promise<BuildRow[]> {
    return this.em.execute<BuildRow[]>(
      `select * from builder_build where result_published = 0 and state in ('succeeded', 'failed', 'cancelled') order by finished_at, id`,
    );
  }

  async followers(id: string): Promise<BuildRow[]> {
    return this.em.execute<BuildRow[]>(`select * from builder_build where follows = ? and state = 'waiting' order by created_at, id`, [id]);
  }
}
