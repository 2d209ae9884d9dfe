import { Injectable } from '@nestjs/common';
import { EventContext, Subscribe } from '@orzo/bus';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';

const RANK: Record<string, number> = { requested: 0, running: 1, succeeded: 2, failed: 2 };

interface BuildChange {
  buildId: string;
  service: string;
  commitSha: string;
  image?: string;
  state: 'requested' | 'running' | 'succeeded' | 'failed';
  step?: string;
  error?: string;
  requestedBy?: string;
}

/** The builds behind `orzo logs --build` and ListBuilds, from the builder's events, exactly once each. */
@Injectable()
export class BuildViewHandlers {
  @Subscribe(Subjects.BuildRequested)
  async onRequested(e: OrzoEvent<typeof Subjects.BuildRequested>, ctx: EventContext): Promise<void> {
    const p = e.payload;
    await this.apply(ctx, e.envelope.occurredAt, {
      buildId: p.buildId,
      service: p.service,
      commitSha: p.commitSha,
      state: 'requested',
      requestedBy: p.requestedBy,
    });
  }

  @Subscribe(Subjects.BuildStarted)
  async onStarted(e: OrzoEvent<typeof Subjects.BuildStarted>, ctx: EventContext): Promise<void> {
    const p = e.payload;
    await this.apply(ctx, e.envelope.occurredAt, { buildId: p.buildId, service: p.service, commitSha: p.commitSha, image: p.image, state: 'running' });
  }

  @Subscribe(Subjects.BuildImageBuilt)
  async onBuilt(e: OrzoEvent<typeof Subjects.BuildImageBuilt>, ctx: EventContext): Promise<void> {
    const p = e.payload;
    await this.apply(ctx, e.envelope.occurredAt, {
      buildId: p.buildId,
      service: p.service,
      commitSha: p.commitSha,
      image: p.image,
      state: 'succeeded',
      requestedBy: p.external ? 'external' : undefined,
    });
  }

  @Subscribe(Subjects.BuildFailed)
  async onFailed(e: OrzoEvent<typeof Subjects.BuildFailed>, ctx: EventContext): Promise<void> {
    const p = e.payload;
    await this.apply(ctx, e.envelope.occurredAt, {
      buildId: p.buildId,
      service: p.service,
      commitSha: p.commitSha,
      state: 'failed',
      step: p.step,
      error: p.error,
    });
  }

  /** Events of one build may arrive out of order across consumers: a later state is never undone. */
  private async apply(ctx: EventContext, at: string, c: BuildChange): Promise<void> {
    const tx = transactionOf(ctx);
    const row = (await tx.execute<Array<{ state: string }>>('select state from control_build where build_id = ?', [c.buildId]))[0];
    const finished = RANK[c.state] === 2 ? at : null;
    if (!row) {
      await tx.execute(
        'insert into control_build (build_id, service, commit_sha, image, state, step, error, requested_by, requested_at, finished_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [c.buildId, c.service, c.commitSha, c.image ?? '', c.state, c.step ?? null, c.error ?? null, c.requestedBy ?? '', at, finished, at],
      );
      return;
    }
    if (c.state === 'requested') {
      await tx.execute('update control_build set requested_by = ?, requested_at = ? where build_id = ?', [c.requestedBy ?? '', at, c.buildId]);
      return;
    }
    if ((RANK[row.state] ?? 0) > RANK[c.state]!) return;
    await tx.execute(
      "update control_build set state = ?, image = case when ? = '' then image else ? end, step = coalesce(?, step), error = coalesce(?, error), finished_at = coalesce(?, finished_at), updated_at = ? where build_id = ?",
      [c.state, c.image ?? '', c.image ?? '', c.step ?? null, c.error ?? null, finished, at, c.buildId],
    );
  }
}
