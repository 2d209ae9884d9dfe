import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DatabaseHolder } from '@orzo/persistence';
import type { EntityManager } from '@orzo/persistence';
import { Build, BuildSchema, BuildState } from './build.entity';

export type { Build, BuildState } from './build.entity';

export interface BuildOutcome {
  state: 'succeeded' | 'failed' | 'cancelled';
  step?: string;
  error?: string;
  logTail?: string[];
  imageId?: string;
  digest?: string;
}

/** What a build request records; the rest of a Build is filled as it runs. */
export type BuildRequest = Pick<
  Build,
  | 'id'
  | 'service'
  | 'commitSha'
  | 'gitUrl'
  | 'dockerfile'
  | 'context'
  | 'buildArgs'
  | 'force'
  | 'skipPipeline'
  | 'requestedBy'
  | 'correlationId'
  | 'image'
  | 'createdAt'
>;

/**
 * The builder's record of builds (the builder_build table). Every call outside a handler runs
 * on a fresh fork of the entity manager, so no identity map outlives its unit of work; rows
 * come back as plain objects the queue may keep.
 */
@Injectable()
export class BuildRepository {
  constructor(private readonly db: DatabaseHolder) {}

  private em(): EntityManager {
    return this.db.database.em();
  }

  /** Records a request in the handler's transaction; a request seen before (same id) is left as it is. */
  async insert(tx: EntityManager, b: BuildRequest): Promise<void> {
    if (await tx.count(BuildSchema, { id: b.id })) return;
    await tx.insert(BuildSchema, {
      ...b,
      state: 'queued',
      follows: null,
      step: null,
      error: null,
      logTail: null,
      imageId: null,
      digest: null,
      resultEventId: null,
      resultPublished: 0,
      startedAt: null,
      finishedAt: null,
    });
  }

  async get(id: string): Promise<Build | undefined> {
    return (await this.em().findOne(BuildSchema, { id }, { disableIdentityMap: true })) ?? undefined;
  }

  async inState(...states: BuildState[]): Promise<Build[]> {
    return this.em().find(BuildSchema, { state: { $in: states } }, { orderBy: { createdAt: 'asc', id: 'asc' }, disableIdentityMap: true });
  }

  /** The build of the same image that is running or already succeeded, if any. */
  async sameCommit(b: Build, states: BuildState[]): Promise<Build | undefined> {
    const found = await this.em().findOne(
      BuildSchema,
      { service: b.service, commitSha: b.commitSha, image: b.image, id: { $ne: b.id }, follows: null, state: { $in: states } },
      { orderBy: { createdAt: 'desc' }, disableIdentityMap: true },
    );
    return found ?? undefined;
  }

  /** Moves a build from one state to another; false when it was not in `from` any more (a compare-and-set). */
  async transition(id: string, from: BuildState, to: BuildState, extra: { follows?: string } = {}): Promise<boolean> {
    const changes: Partial<Build> = { state: to };
    if (extra.follows !== undefined) changes.follows = extra.follows;
    if (to === 'running') changes.startedAt = new Date().toISOString();
    return (await this.em().nativeUpdate(BuildSchema, { id, state: from }, changes)) > 0;
  }

  /** Records the outcome, with the id its announcement will carry (kept across retries of that announcement). */
  async finish(id: string, o: BuildOutcome): Promise<void> {
    await this.em().nativeUpdate(
      BuildSchema,
      { id },
      {
        state: o.state,
        step: o.step ?? null,
        error: o.error ?? null,
        logTail: JSON.stringify(o.logTail ?? []),
        imageId: o.imageId ?? null,
        digest: o.digest ?? null,
        resultEventId: randomUUID(),
        resultPublished: 0,
        finishedAt: new Date().toISOString(),
      },
    );
  }

  async markPublished(id: string): Promise<void> {
    await this.em().nativeUpdate(BuildSchema, { id }, { resultPublished: 1 });
  }

  /** Finished builds whose outcome event was not stored by JetStream yet (a crash in between). */
  async unpublished(): Promise<Build[]> {
    return this.em().find(
      BuildSchema,
      { resultPublished: 0, state: { $in: ['succeeded', 'failed', 'cancelled'] } },
      { orderBy: { finishedAt: 'asc', id: 'asc' }, disableIdentityMap: true },
    );
  }

  async followers(id: string): Promise<Build[]> {
    return this.em().find(BuildSchema, { follows: id, state: 'waiting' }, { orderBy: { createdAt: 'asc', id: 'asc' }, disableIdentityMap: true });
  }
}
