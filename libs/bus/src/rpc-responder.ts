import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { RpcContract, RpcErrorKind, RpcErrorReply } from '@orzo/contracts';
import { Logger, isDomainError, settleWithin } from '@orzo/platform';
import type { RpcContext, RpcHandler } from './respond.decorator';

/**
 * Serves one request/reply contract on core NATS: decodes and validates each request (a bad
 * one is answered `invalid-argument` with every problem), runs the handler, checks its reply
 * against the contract, and answers. A DomainError thrown by the handler is answered with its
 * kind; anything else is `internal`. Every request gets an answer, so a caller never waits
 * for a timeout because of a fault here.
 */
export class RpcResponder<Req, Res> {
  private sub?: Subscription;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly ctx: RpcContext;

  constructor(
    private readonly rpc: RpcContract<Req, Res>,
    private readonly handler: RpcHandler<Req, Res>,
    logger: Logger,
  ) {
    this.ctx = { subject: rpc.subject, log: logger.child({ rpc: rpc.name, subject: rpc.subject }) };
  }

  start(nc: NatsConnection): void {
    this.sub = nc.subscribe(this.rpc.subject, {
      queue: this.rpc.queue,
      callback: (err, msg) => {
        if (err) return this.ctx.log.warn({ err }, 'responder subscription failed');
        const answering = this.answer(msg)
          // Only the reply itself can fail here (connection closing): the caller times out.
          .catch((e: unknown) => this.ctx.log.warn({ err: e }, 'could not answer'))
          .finally(() => this.inFlight.delete(answering));
        this.inFlight.add(answering);
      },
    });
  }

  /** Stops taking requests and waits for the ones being answered (at most `waitMs`: the callers time out on the rest). */
  async stop(waitMs = Infinity): Promise<void> {
    this.sub?.unsubscribe();
    const answering = Promise.all([...this.inFlight]);
    if (waitMs === Infinity) await answering;
    else await settleWithin(answering, waitMs);
  }

  private async answer(msg: Msg): Promise<void> {
    try {
      let raw: unknown;
      try {
        raw = msg.json();
      } catch {
        return this.fail(msg, 'invalid-argument', `${this.rpc.name} request is not JSON`);
      }
      const req = this.rpc.checkRequest(raw);
      if (!req.ok) return this.fail(msg, 'invalid-argument', `${this.rpc.name} request: ${req.problems.join('; ')}`);
      const res = await this.handler(req.value, this.ctx);
      const reply = this.rpc.checkReply(res);
      if (!reply.ok) {
        this.ctx.log.error({ problems: reply.problems }, 'responder built a reply that breaks its contract');
        return this.fail(msg, 'internal', `bad reply: ${reply.problems.join('; ')}`);
      }
      msg.respond(JSON.stringify(reply.value));
    } catch (err) {
      const kind: RpcErrorKind = isDomainError(err) ? err.kind : 'internal';
      if (kind === 'internal') this.ctx.log.warn({ err }, 'responder failed');
      this.fail(msg, kind, err instanceof Error ? err.message : String(err));
    }
  }

  private fail(msg: Msg, kind: RpcErrorKind, error: string): void {
    const body: RpcErrorReply = { error, kind };
    msg.respond(JSON.stringify(body));
  }
}
