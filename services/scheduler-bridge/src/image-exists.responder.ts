import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { RpcSubjects } from '@orzo/contracts';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import type { SchedulerBridgeConfig } from './config';
import { DockerEngine } from './docker-engine';
import { DOCKER_ENGINE } from './reconcile/reconciler';

/** Answers "does this image exist on your engine?" so control-api can refuse a mark at once. */
@Injectable()
export class ImageExistsResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subs: Array<{ unsubscribe(): void }> = [];

  constructor(
    private readonly bus: BusService,
    @Inject(DOCKER_ENGINE) private readonly engine: DockerEngine,
    @Inject(SERVICE_CONFIG) private readonly config: SchedulerBridgeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    for (const cluster of this.config.ORZO_SCHEDULER_CLUSTERS.split(',').map((c) => c.trim())) {
      this.subs.push(
        this.bus.connection.subscribe(RpcSubjects.imageExists(cluster), {
          queue: 'scheduler-bridge',
          callback: (err, msg) => {
            if (err) return;
            void (async () => {
              let image = '';
              try {
                image = String((msg.json() as { image?: unknown }).image ?? '');
                // A registry image is pulled now: the deploy that follows needs it anyway.
                const exists = image ? (await this.engine.ensureImage(image)).ok : false;
                msg.respond(JSON.stringify({ exists }));
              } catch (e) {
                this.logger.warn({ err: e, image }, 'image-exists request failed');
                msg.respond(JSON.stringify({ error: (e as Error).message }));
              }
            })();
          },
        }),
      );
    }
  }

  onApplicationShutdown(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
