import { Injectable } from '@nestjs/common';
import { Respond, RpcContext } from '@orzo/bus';
import { CancelBuildAnswer, CancelBuildCall, Rpcs } from '@orzo/contracts';
import { BuildQueue } from './build-queue';

/** Answers cancel requests for builds this builder queues or runs. */
@Injectable()
export class CancelResponder {
  constructor(private readonly queue: BuildQueue) {}

  @Respond(Rpcs.cancelBuild)
  async cancel(req: CancelBuildCall, ctx: RpcContext): Promise<CancelBuildAnswer> {
    const result = await this.queue.cancel(req.buildId, req.by || 'unknown');
    ctx.log.info({ buildId: req.buildId, ...result }, 'cancel requested');
    return result;
  }
}
