import { Inject, Injectable } from '@nestjs/common';
import { Respond, RpcContext } from '@orzo/bus';
import { ImageExistsAnswer, ImageExistsCall, Rpcs } from '@orzo/contracts';
import { SERVICE_CONFIG, UnavailableError } from '@orzo/platform';
import { type SchedulerBridgeConfig, schedulerClusters } from './config';
import { ENGINES, Engines } from './engine/engines';

/**
 * Answers "does this image exist on your engine?" for each cluster this bridge runs, so
 * control-api can refuse a mark at once: on one Docker host, the image is there or pulled now;
 * on a swarm, its registry has it (the nodes pull it) or, without a registry, the manager has it.
 */
@Injectable()
export class ImageExistsResponder {
  readonly clusters: string[];

  constructor(
    @Inject(ENGINES) private readonly engines: Engines,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = schedulerClusters(config);
  }

  @Respond(Rpcs.imageExists, { params: (self: ImageExistsResponder) => self.clusters })
  async imageExists(req: ImageExistsCall, ctx: RpcContext): Promise<ImageExistsAnswer> {
    try {
      // A registry image is pulled now: the deploy that follows needs it anyway.
      const cluster = this.clusters.find((c) => Rpcs.imageExists(c).subject === ctx.subject) ?? this.clusters[0]!;
      return { exists: (await this.engines.of(cluster).ensureImage(req.image)).ok };
    } catch (err) {
      ctx.log.warn({ err, image: req.image }, 'image-exists request failed');
      throw new UnavailableError(`the engine could not be asked about ${req.image}: ${(err as Error).message}`);
    }
  }
}
