import { SetMetadata } from '@nestjs/common';
import type { Subject } from '@orzo/contracts';

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
}

export interface SubscribeMetadata extends SubscribeOptions {
  subject: Subject;
}

/**
 * Marks a provider method as the handler of one event subject. The method receives
 * (event, ctx) and returns an Outcome (or nothing for ack); a throw means retry with backoff.
 * Handlers are discovered at boot and each gets its own durable consumer.
 */
export function Subscribe(subject: Subject, options: SubscribeOptions = {}): MethodDecorator {
  return SetMetadata<string, SubscribeMetadata>(SUBSCRIBE_METADATA, { subject, ...options });
}
