import { Inject, Injectable } from '@nestjs/common';
import { Respond, RpcContext } from '@orzo/bus';
import { ImageExistsAnswer, ImageExistsCall, Rpcs } from '@orzo/contracts';
import { SERVICE_CONFIG, UnavailableError } from '@orzo/platform';
import type { SchedulerBridgeConfig } from './config';
import { DockerEngine } from './docker-engine';
import { DOCKER_ENGINE } from './reconcile/reconciler';

/** Answers "does this image exist on your engine?" for each cluster this bridge runs, so control-api can refuse a mark at once. */
@Injectable()
export class ImageExistsResponder {
  readonly clusters: string[];

  constructor(
    @Inject(DOCKER_ENGINE) private readonly engine: DockerEngine,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = config.ORZO_SCHEDULER_CLUSTERS.split(',').map((c) => c.trim());
  }

  @Respond(Rpcs.imageExists, { params: (self: ImageExistsResponder) => self.clusters })
  async imageExists(req: ImageExistsCall, ctx: RpcContext): Promise<ImageExistsAnswer> {
    try {
      // A registry image is pulled now: the deploy that follows needs it anyway.
      return { exists: (await this.engine.ensureImage(req.image)).ok };
    } catch (err) {
      ctx.log.warn({ err, image: req.image }, 'image-exists request failed');
      throw new UnavailableError(`the engine could not be asked about ${req.image}: ${(err as Error).message}`);
    }
  }
}
