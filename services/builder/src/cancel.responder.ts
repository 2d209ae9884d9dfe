import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { RpcSubjects } from '@orzo/contracts';
import { LOGGER, Logger } from '@orzo/platform';
import { BuildQueue } from './build-queue';

/** Answers cancel requests ({buildId, by}) for builds this builder queues or runs. */
@Injectable()
export class CancelResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private sub?: { unsubscribe(): void };

  constructor(
    private readonly bus: BusService,
    private readonly queue: BuildQueue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.connection.subscribe(RpcSubjects.cancelBuild, {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          try {
            const req = msg.json<{ buildId?: unknown; by?: unknown }>();
            const id = typeof req.buildId === 'string' ? req.buildId : '';
            if (!id) return msg.respond(JSON.stringify({ error: 'buildId is required' }));
            const result = await this.queue.cancel(id, typeof req.by === 'string' && req.by ? req.by : 'unknown');
            this.logger.info({ buildId: id, ...result }, 'cancel requested');
            msg.respond(JSON.stringify(result));
          } catch (e) {
            msg.respond(JSON.stringify({ error: (e as Error).message }));
          }
        })();
      },
    });
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }
}
