import { Injectable } from '@nestjs/common';
import { EntityManager } from '@orzo/persistence';
import { BuildSchema, BuildState } from './build.entity';

const RANK: Record<BuildState, number> = { requested: 0, running: 1, succeeded: 2, failed: 2 };

/** One builder event, as the view records it. */
export interface BuildChange {
  buildId: string;
  service: string;
  commitSha: string;
  image?: string;
  state: BuildState;
  step?: string;
  error?: string;
  requestedBy?: string;
}

/** The builds behind `orzo logs --build` and ListBuilds, from the builder's events. */
@Injectable()
export class BuildViewService {
  /**
   * Applies one event that happened at `at`. Events of one build may arrive out of order
   * across consumers: a later state is never undone, and a field an event does not carry keeps
   * its value.
   */
  async apply(em: EntityManager, at: string, c: BuildChange): Promise<void> {
    const builds = em.getRepository(BuildSchema);
    // The row itself, not an identity-map copy: `change` writes past the unit of work.
    const row = await builds.findOne({ buildId: c.buildId }, { refresh: true });
    const finished = RANK[c.state] === 2 ? at : null;
    if (!row) {
      await builds.add({
        buildId: c.buildId,
        service: c.service,
        commitSha: c.commitSha,
        image: c.image ?? '',
        state: c.state,
        step: c.step ?? null,
        error: c.error ?? null,
        requestedBy: c.requestedBy ?? '',
        requestedAt: at,
        finishedAt: finished,
        updatedAt: at,
      });
      return;
    }
    if (c.state === 'requested') return builds.change(c.buildId, { requestedBy: c.requestedBy ?? '', requestedAt: at });
    if (RANK[row.state] > RANK[c.state]) return;
    await builds.change(c.buildId, {
      state: c.state,
      updatedAt: at,
      ...(c.image ? { image: c.image } : {}),
      ...(c.step !== undefined ? { step: c.step } : {}),
      ...(c.error !== undefined ? { error: c.error } : {}),
      ...(finished !== null ? { finishedAt: finished } : {}),
    });
  }
}
