import { DeliverPolicy, JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_PREFIX, DeadLetterHeaders, STREAMS } from '@orzo/contracts';
import { releaseOrdered } from './ordered-reader';

/** One event parked on ORZO_DLQ, as parkDeadLetter left it. */
export interface DeadLetter {
  /** Sequence in ORZO_DLQ. */
  sequence: number;
  /** orzo.dlq.<consumer>.<original subject> */
  subject: string;
  consumer: string;
  originalSubject: string;
  /** Why it was parked: the handler's reason, its last error, or why it could not be decoded. */
  error: string;
  /** Deliveries the consumer made before giving up (1: dead-lettered on the first). */
  deliveryCount: number;
  /** Sequence of the original event in its own stream. */
  originalSequence: number;
  /** When it was parked (ISO 8601). */
  parkedAt: string;
  /** The envelope id of the original event, '' when its body is not an event. */
  eventId: string;
  /** The original body, as received. */
  body: string;
}

export interface DeadLetterQuery {
  /** Only what this durable consumer parked. */
  consumer?: string;
  /** The newest this many (default 50, at most 1000). */
  limit?: number;
}

const DLQ_STREAM = STREAMS.find((s) => s.subjects.includes(`${DEAD_LETTER_PREFIX}.>`))!.name;

/** Reads what consumers parked on the dead-letter stream, without consuming it (an ordered consumer). */
export class DeadLetterReader {
  constructor(private readonly nc: NatsConnection) {}

  /** The newest dead letters (of one consumer, if given), oldest first. */
  async list(query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    const limit = Math.min(1000, Math.max(1, query.limit ?? 50));
    const filter = query.consumer ? `${DEAD_LETTER_PREFIX}.${query.consumer}.>` : `${DEAD_LETTER_PREFIX}.>`;
    const jsm = await jetstreamManager(this.nc);
    const { state } = await jsm.streams.info(DLQ_STREAM, { subjects_filter: filter });
    const total = Object.values(state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    // Unfiltered, the newest `limit` are the last sequences; one consumer's are read from the start.
    const start = query.consumer ? state.first_seq : Math.max(state.first_seq, state.last_seq - limit + 1);
    const wanted = query.consumer ? total : Math.min(total, limit);
    const consumer = await jetstream(this.nc).consumers.get(DLQ_STREAM, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    const found: DeadLetter[] = [];
    let read = 0;
    try {
      const batch = await consumer.fetch({ max_messages: wanted, expires: 5_000 });
      for await (const m of batch) {
        found.push(toDeadLetter(m));
        if (found.length > limit) found.shift();
        if (m.info.pending === 0 || ++read >= wanted) break;
      }
    } finally {
      // Not kept for its inactive_threshold: a listing is over once answered.
      await releaseOrdered(consumer);
    }
    return found;
  }
}

function toDeadLetter(m: JsMsg): DeadLetter {
  const h = (key: string) => m.headers?.get(key) ?? '';
  const consumer = h(DeadLetterHeaders.Consumer);
  return {
    sequence: m.seq,
    subject: m.subject,
    consumer,
    originalSubject: h(DeadLetterHeaders.OriginalSubject) || m.subject.slice(`${DEAD_LETTER_PREFIX}.${consumer}.`.length),
    error: h(DeadLetterHeaders.Error),
    deliveryCount: Number(h(DeadLetterHeaders.DeliveryCount)) || 0,
    originalSequence: Number(h(DeadLetterHeaders.StreamSequence)) || 0,
    parkedAt: m.timestamp,
    eventId: eventIdOf(m.string()),
    body: m.string(),
  };
}

function eventIdOf(body: string): string {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}
