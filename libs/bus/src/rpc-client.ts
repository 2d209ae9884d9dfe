import { NatsConnection, NoRespondersError, TimeoutError } from '@nats-io/transport-node';
import { RpcContract, RpcErrorReply, rpcErrorOf } from '@orzo/contracts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError, UnauthenticatedError, UnavailableError } from '@orzo/platform';

export interface RpcCallOptions {
  /** How long to wait for the answer (ms). */
  timeout: number;
}

/** The responder failed on its own (it answered `internal`), or its reply broke the contract. */
export class RpcFailedError extends Error {
  override readonly name = 'RpcFailedError';
}

/**
 * Asks the service that serves `rpc` and returns its validated reply. Throws UnavailableError
 * when nobody answers (no responders, or none within the timeout: the message says which),
 * the domain error matching an error reply (InvalidArgumentError, NotFoundError, ...), and
 * RpcFailedError when the responder failed or its reply is not the declared shape.
 */
export async function callRpc<Req, Res>(nc: NatsConnection, rpc: RpcContract<Req, Res>, req: Req, options: RpcCallOptions): Promise<Res> {
  const sent = rpc.checkRequest(req);
  if (!sent.ok) throw new InvalidArgumentError(`${rpc.name} request: ${sent.problems.join('; ')}`);
  let body: unknown;
  try {
    const reply = await nc.request(rpc.subject, JSON.stringify(sent.value), { timeout: options.timeout });
    body = reply.data.length ? JSON.parse(reply.string()) : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) throw new RpcFailedError(`${rpc.servedBy} answered ${rpc.subject} with a body that is not JSON`);
    throw unanswered(rpc, err, options.timeout);
  }
  const failed = rpcErrorOf(body);
  if (failed) throw errorFromReply(rpc, failed);
  const got = rpc.checkReply(body);
  if (!got.ok) throw new RpcFailedError(`${rpc.servedBy} answered ${rpc.subject} with a bad reply: ${got.problems.join('; ')}`);
  return got.value;
}

function unanswered(rpc: RpcContract<unknown, unknown>, err: unknown, timeout: number): UnavailableError {
  if (causes(err).some((e) => e instanceof NoRespondersError)) return new UnavailableError(`no ${rpc.servedBy} is listening on ${rpc.subject} (no responders)`);
  if (causes(err).some((e) => e instanceof TimeoutError))
    return new UnavailableError(`${rpc.servedBy} did not answer ${rpc.subject} within ${timeout}ms (timeout)`);
  return new UnavailableError(`could not ask ${rpc.servedBy} on ${rpc.subject}: ${err instanceof Error ? err.message : String(err)}`);
}

function errorFromReply(rpc: RpcContract<unknown, unknown>, reply: RpcErrorReply): Error {
  switch (reply.kind) {
    case 'invalid-argument':
      return new InvalidArgumentError(reply.error);
    case 'not-found':
      return new NotFoundError(reply.error);
    case 'failed-precondition':
      return new FailedPreconditionError(reply.error);
    case 'unavailable':
      return new UnavailableError(`${rpc.servedBy} could not answer ${rpc.subject}: ${reply.error}`);
    case 'unauthenticated':
      return new UnauthenticatedError(reply.error);
    case 'permission-denied':
      return new PermissionDeniedError(reply.error);
    case 'internal':
      return new RpcFailedError(`${rpc.servedBy} failed on ${rpc.subject}: ${reply.error}`);
  }
}

/** The error and its causes, outermost first (nats.js wraps NoRespondersError in a RequestError). */
function causes(err: unknown): Error[] {
  const out: Error[] = [];
  for (let e = err; e instanceof Error && out.length < 5; e = e.cause) out.push(e);
  return out;
}
