/** One event's effect, to be applied at most once per (consumer, eventId). */
export interface IdempotentItem {
  eventId: string;
  subject: string;
  /** Receives the store's transaction; throwing rolls the effect back. */
  effect: (tx: unknown) => Promise<void>;
}

export type IdempotentResult = { status: 'applied' } | { status: 'duplicate' } | { status: 'failed'; error: unknown };

/**
 * Exactly-once effects: each new event's effect runs in a transaction that also records the
 * event as processed; an event already recorded is reported as a duplicate and not run.
 * An effect that throws is rolled back and not recorded; the other items are unaffected.
 */
export interface IdempotencyStore {
  apply(consumer: string, items: readonly IdempotentItem[]): Promise<IdempotentResult[]>;
}

export const IDEMPOTENCY_STORE = Symbol('orzo:idempotency-store');
