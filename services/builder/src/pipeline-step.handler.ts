import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { BusService, EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { OrzoEvent, PipelineStepRequested, Subjects } from '@orzo/contracts';
import { LOGGER, Logger, settleWithin } from '@orzo/platform';
import { BuildQueue } from './build-queue';
import { run } from './workspace';

/** At most this long per step (a test suite, a performance check). */
const STEP_TIMEOUT_MS = 60 * 60_000;

/**
 * Runs the non-deploy deploy.yaml steps that come after a deploy group (control-api asks with
 * build.step-requested once the group before it is deployed): the step's `command` under
 * /bin/sh -c in a checkout of the commit, with DOCKER_TAG / ORZO_IMAGE, GIT_SHA and
 * ORZO_SERVICE set as for the steps run with the build, then build.step-finished with how it
 * ended. The step runs outside the handler (it may take minutes); a builder stopped meanwhile
 * does not run it again.
 */
@Injectable()
export class PipelineStepHandler implements OnApplicationShutdown {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(
    private readonly queue: BuildQueue,
    private readonly bus: BusService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Subscribe(Subjects.BuildStepRequested)
  onStepRequested(e: OrzoEvent<typeof Subjects.BuildStepRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    ctx.log.info({ runId: e.payload.runId, targetService: e.payload.service, step: e.payload.step }, 'pipeline step requested');
    const p = this.runStep(e.payload, e.envelope.correlationId).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return Promise.resolve(Outcome.ack());
  }

  async onApplicationShutdown(): Promise<void> {
    this.controller.abort();
    await settleWithin(Promise.all(this.inFlight), 2_000);
  }

  private async runStep(p: PipelineStepRequested, correlationId: string): Promise<void> {
    let ok = false;
    let detail: string;
    try {
      const source = this.queue.sourceOf(p.service);
      if (!source.ok) throw new Error(source.message);
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(STEP_TIMEOUT_MS)]);
      const repo = await this.queue.workspace.fetch(source.gitUrl, p.commitSha, signal);
      const co = await this.queue.workspace.checkout(repo, p.commitSha, signal);
      try {
        const res = await run('sh', ['-c', p.command], {
          cwd: co.path,
          signal,
          env: { ...process.env, DOCKER_TAG: p.image, ORZO_IMAGE: p.image, GIT_SHA: p.commitSha, ORZO_SERVICE: p.service },
        });
        ok = res.code === 0;
        const last = (res.stderr || res.stdout).trim().split('\n').pop() ?? '';
        detail = `${p.command} exited with ${res.code}${last ? `: ${last.slice(0, 300)}` : ''}`;
      } finally {
        co.dispose();
      }
    } catch (err) {
      detail = `${p.command} could not run: ${(err as Error).message}`;
    }
    if (this.controller.signal.aborted) return;
    this.logger.info({ runId: p.runId, targetService: p.service, step: p.step, ok }, `pipeline step ${p.step}: ${detail}`);
    await this.bus.publish(
      Subjects.BuildStepFinished,
      { runId: p.runId, service: p.service, commitSha: p.commitSha, image: p.image, step: p.step, stepIndex: p.stepIndex, ok, detail },
      { id: `${p.runId}:finished`, correlationId },
    );
  }
}
