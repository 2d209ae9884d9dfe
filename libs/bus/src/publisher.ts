import { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { EnvelopeMeta, EnvelopeOptions, EventMap, Subject, createEnvelope, encodeEvent } from '@orzo/contracts';

export interface PublishResult {
  envelope: EnvelopeMeta;
  seq: number;
  stream: string;
  /** True when the server already had this event id inside the duplicate window. */
  duplicate: boolean;
}

export interface PublisherOptions {
  /** Name of the publishing service, the envelope's `source`. */
  source: string;
  /** How long one publish keeps retrying while NATS is unreachable (ms). */
  retryForMs?: number;
  /** Timeout of one attempt (ms). */
  attemptTimeoutMs?: number;
}

/**
 * Publishes events to JetStream with `Nats-Msg-Id` = envelope id. A publish resolves only
 * once the server has stored the event (PubAck); while NATS is down or restarting it retries
 * with backoff, so an event is never reported sent when it was not.
 */
export class EventPublisher {
  private readonly retryForMs: number;
  private readonly attemptTimeoutMs: number;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: PublisherOptions,
  ) {
    this.retryForMs = options.retryForMs ?? 30_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5_000;
  }

  get source(): string {
    return this.options.source;
  }

  /** Publishes a new event; pass `id` for a deterministic id that makes a retry a duplicate. */
  async publish<S extends Subject>(subject: S, payload: EventMap[S], envelope: Partial<EnvelopeOptions> = {}): Promise<PublishResult> {
    const meta = createEnvelope(subject, { ...envelope, source: envelope.source ?? this.options.source });
    return this.publishEnvelope(meta as EnvelopeMeta & { type: S }, payload);
  }

  /** Publishes an event whose envelope already exists (e.g. replayed from an outbox). */
  async publishEnvelope<S extends Subject>(envelope: EnvelopeMeta & { type: S }, payload: EventMap[S]): Promise<PublishResult> {
    const data = encodeEvent(envelope, payload);
    const ack = await this.withRetry(() => this.js.publish(envelope.type, data, { msgID: envelope.id, timeout: this.attemptTimeoutMs }));
    return { envelope, seq: ack.seq, stream: ack.stream, duplicate: ack.duplicate };
  }

  private async withRetry(attempt: () => Promise<PubAck>): Promise<PubAck> {
    const deadline = Date.now() + this.retryForMs;
    let delay = 100;
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (!isTransient(err) || Date.now() + delay > deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }
}

/** Errors that mean "NATS not reachable right now", worth retrying with the same msg id. */
export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string | number };
  const text = `${e?.name ?? ''} ${e?.message ?? ''} ${e?.code ?? ''}`;
  return (
    /timeout|no responders|503|disconnect|reconnect|connection|closed|TimeoutError|NoRespondersError|RequestError/i.test(text) &&
    !/ClosedConnectionError|connection closed by client/i.test(text)
  );
}
