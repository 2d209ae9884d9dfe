import { EventContext, HandlerOutcome, Outcome } from '@orzo/bus';
import { isDomainError } from '@orzo/platform';

/**
 * Runs a handler's one service call and says how the consumer settles the event: ack when it
 * went through; dead-letter at once for a permanent domain error (the same event would fail
 * the same way five times); retry, with the consumer's backoff, for anything that may pass
 * later (an unavailable dependency, a database error).
 */
export async function outcomeOf(ctx: Pick<EventContext, 'log'>, work: () => Promise<unknown>): Promise<HandlerOutcome> {
  try {
    await work();
    return Outcome.ack();
  } catch (err) {
    return failureOutcome(ctx, err);
  }
}

export function failureOutcome(ctx: Pick<EventContext, 'log'>, err: unknown): HandlerOutcome {
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (isDomainError(err) && err.permanent) return Outcome.deadLetter(reason);
  ctx.log.warn({ err }, 'handler failed; the event will be retried');
  return Outcome.retry(reason);
}
