import type { EnvelopeMeta, OrzoEvent, Subject } from '@orzo/contracts';
import type { Logger } from '@orzo/platform';

/** What a handler decided: done, try again later, or give up and dead-letter the event. */
export type HandlerOutcome = { kind: 'ack' } | { kind: 'retry'; reason: string; delayMs?: number } | { kind: 'dead-letter'; reason: string };

export const Outcome = {
  ack: (): HandlerOutcome => ({ kind: 'ack' }),
  retry: (reason: string, delayMs?: number): HandlerOutcome => ({ kind: 'retry', reason, delayMs }),
  deadLetter: (reason: string): HandlerOutcome => ({ kind: 'dead-letter', reason }),
};

export interface EventContext {
  subject: string;
  envelope: EnvelopeMeta;
  /** 1 on first delivery. */
  deliveryCount: number;
  streamSequence: number;
  consumer: string;
  /** Logger carrying eventId, subject, correlationId and consumer on every line. */
  log: Logger;
  /**
   * The transaction of the idempotency store, when the consumer has one: effects written
   * through it commit together with the processed-event mark (exactly-once effects).
   */
  tx?: unknown;
  /**
   * Runs fn once the handler's effects are committed: after the idempotency store's
   * transaction (its rows are visible to every reader), or right after the handler when the
   * consumer has no store. Not run when the event is retried, dead-lettered or a duplicate,
   * nor for an attempt rolled back (a failed batch is handled again one event at a time).
   * For the work a handler starts outside itself (a queue to wake, an outbox to flush),
   * instead of a timer guessing when the commit has happened.
   */
  afterCommit(fn: () => void): void;
}

export type EventHandler<S extends Subject = Subject> = (event: OrzoEvent<S>, ctx: EventContext) => Promise<HandlerOutcome> | HandlerOutcome;

/** Thrown inside an idempotent effect so a non-ack outcome rolls the effect back. */
export class OutcomeSignal extends Error {
  constructor(readonly outcome: HandlerOutcome) {
    super(outcome.kind === 'ack' ? 'ack' : outcome.reason);
  }
}
