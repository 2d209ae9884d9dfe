import { SetMetadata } from '@nestjs/common';
import type { Subject } from '@orzo/contracts';
import type { EventHandler } from './outcome';

export const SUBSCRIBE_METADATA = 'orzo:bus:subscribe';

export interface SubscribeOptions {
  /** Durable consumer name; defaults to <service>-<kebab-cased method name>. */
  durable?: string;
  maxAttempts?: number;
  backoffMs?: number[];
  ackWaitMs?: number;
  batchSize?: number;
  /** Use the idempotency store (exactly-once effects); default true when one is bound. */
  idempotent?: boolean;
  /**
   * Without an idempotency store only: handle each event as it arrives, up to this many at
   * once, instead of one after another. Handlers still start in arrival order (each is called
   * synchronously on receipt), but one does not wait for the previous one's I/O. For handlers
   * whose in-memory effect is made synchronously and whose writes may overlap (the discovery
   * registrar): an event is not held behind the previous one's round trips.
   */
  concurrency?: number;
}

export interface SubscribeMetadata extends SubscribeOptions {
  subject: Subject;
}

/** Checks at compile time that the method takes the subject's event and returns an outcome. */
type SubscribeDecorator<S extends Subject> = <T extends EventHandler<S>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<T>) => void;

/**
 * Marks a provider method as the handler of one event subject. The method receives
 * (event, ctx) and returns an Outcome: ack, retry (transient fault) or dead-letter (permanent
 * fault, at once); a throw means retry with backoff. Handlers are discovered at boot and each
 * gets its own durable consumer.
 */
export function Subscribe<S extends Subject>(subject: S, options: SubscribeOptions = {}): SubscribeDecorator<S> {
  return SetMetadata<string, SubscribeMetadata>(SUBSCRIBE_METADATA, { subject, ...options }) as SubscribeDecorator<S>;
}
