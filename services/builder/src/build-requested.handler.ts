import { Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { GIT_SHA, OrzoEvent, Subjects, imageFor } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { BuildQueue } from './build-queue';
import { BuildRepository } from './persistence/build.repository';

/**
 * Records each build request (exactly once, in the consumer's transaction) and wakes the
 * queue. The build itself runs outside the handler: a build takes minutes, a handler must not.
 */
@Injectable()
export class BuildRequestedHandler {
  constructor(
    private readonly store: BuildRepository,
    private readonly queue: BuildQueue,
  ) {}

  @Subscribe(Subjects.BuildRequested)
  async onBuildRequested(e: OrzoEvent<typeof Subjects.BuildRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    const p = e.payload;
    const sha = p.commitSha.toLowerCase();
    // Permanent faults: no retry can fix the request, so it is parked at once with the reason.
    if (!GIT_SHA.test(sha)) return Outcome.deadLetter(`build ${p.buildId}: commit_sha "${p.commitSha}" is not a hex git sha`);
    const known = this.queue.sourceOf(p.service);
    if (!known.ok && known.notFound) return Outcome.deadLetter(`build ${p.buildId}: ${known.message}`);
    await this.store.insert(transactionOf(ctx), {
      id: p.buildId,
      service: p.service,
      commitSha: sha,
      gitUrl: p.gitUrl || (known.ok ? known.gitUrl : ''),
      dockerfile: p.dockerfile,
      context: p.context,
      buildArgs: JSON.stringify(p.buildArgs ?? {}),
      force: p.force ? 1 : 0,
      skipPipeline: p.skipPipeline ? 1 : 0,
      requestedBy: p.requestedBy || 'unknown',
      correlationId: e.envelope.correlationId,
      image: imageFor(known.registry, p.service, sha),
      createdAt: e.envelope.occurredAt,
    });
    ctx.log.info({ buildId: p.buildId, targetService: p.service, commitSha: sha }, 'build requested');
    // The row commits with the processed-event mark after this returns: the queue sees it then.
    ctx.afterCommit(() => this.queue.kick());
    return Outcome.ack();
  }
}
