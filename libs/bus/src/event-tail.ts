import { Consumer, ConsumerMessages, DeliverPolicy, JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ALL_SUBJECTS, Subject, decodeEvent, streamForSubject } from '@orzo/contracts';
import { releaseOrdered } from './ordered-reader';

/** Where a reader is in each event stream: the last sequence it has seen per stream. */
export type EventPosition = Record<string, number>;

export interface TailedEvent {
  stream: string;
  sequence: number;
  subject: string;
  /** The position just after this event: resume from it and the next event is the one after. */
  position: EventPosition;
  /** The event's kind: `deploy.progressed` for orzo.deploy.progressed.v1. */
  type: string;
  id: string;
  correlationId: string;
  occurredAt: string;
  /** The decoded payload, or undefined when the body is not an event of its subject. */
  payload: unknown;
}

export interface TailOptions {
  /** Event subjects to read (default: every event subject). */
  subjects?: readonly Subject[];
  /** Resume after this position; streams it does not name start at `sinceMs` or at their end. */
  position?: EventPosition;
  /** Start this long ago, in streams the position does not name. Default: only new events. */
  sinceMs?: number;
  /** Go on with live events after the stored ones. */
  follow: boolean;
}

/**
 * Reads Orzo's event streams as one: the stored events first, merged across streams by the
 * time JetStream stored them (so a deploy's deploy.requested, instance.started and
 * deploy.completed come out in the order they happened), then, when following, live events
 * as they arrive. Each event carries the position after it; a reader that resumes from the
 * last position it got sees no event twice and misses none (per stream, by sequence).
 * Its ordered consumers are deleted as soon as it stops or ends, not left to expire.
 */
export class EventTail {
  private readonly consumers: Array<{ consumer: Consumer; messages?: ConsumerMessages }> = [];
  private stopped = false;

  constructor(private readonly nc: NatsConnection) {}

  /** Stops reading and deletes the consumers (`run` returns); resolves once they are deleted. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.consumers.splice(0).map((c) => releaseOrdered(c.consumer, c.messages)));
  }

  async run(options: TailOptions, emit: (e: TailedEvent) => void | Promise<void>): Promise<void> {
    try {
      await this.read(options, emit);
    } finally {
      await this.stop();
    }
  }

  private async read(options: TailOptions, emit: (e: TailedEvent) => void | Promise<void>): Promise<void> {
    const subjects = options.subjects?.length ? options.subjects : ALL_SUBJECTS;
    const position: EventPosition = { ...options.position };
    const byStream = new Map<string, string[]>();
    for (const s of subjects) {
      const stream = streamForSubject(s)?.name;
      if (stream) byStream.set(stream, [...(byStream.get(stream) ?? []), s]);
    }
    const js = jetstream(this.nc);
    const jsm = await jetstreamManager(this.nc);
    const readers: Array<{ stream: string; backlog: number; iterator: AsyncIterator<JsMsg>; head?: JsMsg }> = [];
    for (const [stream, filters] of byStream) {
      const info = await jsm.streams.info(stream);
      const after = position[stream];
      const start =
        after !== undefined
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }
          : options.sinceMs !== undefined
            ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Date.now() - options.sinceMs).toISOString() }
            : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: info.state.last_seq + 1 };
      // Every stream is in the position from the first event on, so a resume is exact everywhere.
      position[stream] ??= after ?? Math.max(0, start.opt_start_seq !== undefined ? start.opt_start_seq - 1 : info.state.first_seq - 1);
      // NATS 2.9 filters a consumer on one subject at most: several are filtered here instead.
      const consumer = await js.consumers.get(stream, { ...(filters.length === 1 ? { filter_subjects: filters[0] } : {}), ...start });
      const held: { consumer: Consumer; messages?: ConsumerMessages } = { consumer };
      this.consumers.push(held);
      // Stopped while this one was being made: stop() did not see it, run's finally deletes it.
      if (this.stopped) return;
      const backlog = (await consumer.info()).num_pending;
      held.messages = await consumer.consume({ max_messages: 256 });
      if (this.stopped) return;
      readers.push({ stream, backlog, iterator: held.messages[Symbol.asyncIterator]() });
    }
    const wanted = new Set<string>(subjects);
    const deliver = async (stream: string, m: JsMsg) => {
      position[stream] = m.seq;
      if (wanted.has(m.subject)) await emit(toTailed(stream, m, { ...position }));
    };
    // Stored events: a k-way merge by stored time over the streams that still have some.
    for (;;) {
      const pending = readers.filter((r) => r.backlog > 0);
      if (pending.length === 0 || this.stopped) break;
      for (const r of pending) {
        if (r.head) continue;
        const next = await r.iterator.next();
        if (next.done) return;
        r.head = next.value;
      }
      const first = pending.reduce((a, b) => (b.head!.timestampNanos < a.head!.timestampNanos ? b : a));
      const m = first.head!;
      first.head = undefined;
      first.backlog -= 1;
      await deliver(first.stream, m);
    }
    if (!options.follow || this.stopped) return;
    // Live: as they arrive, per stream in sequence order.
    await Promise.all(
      readers.map(async (r) => {
        for (let next = await r.iterator.next(); !next.done && !this.stopped; next = await r.iterator.next()) await deliver(r.stream, next.value);
      }),
    );
  }
}

function toTailed(stream: string, m: JsMsg, position: EventPosition): TailedEvent {
  const decoded = decodeEvent(m.subject, m.data);
  const envelope = decoded.ok ? decoded.event.envelope : decoded.envelope;
  return {
    stream,
    sequence: m.seq,
    subject: m.subject,
    position,
    type: m.subject.replace(/^orzo\./, '').replace(/\.v\d+$/, ''),
    id: envelope?.id ?? '',
    correlationId: envelope?.correlationId ?? '',
    occurredAt: envelope?.occurredAt ?? m.time.toISOString(),
    payload: decoded.ok ? decoded.event.payload : undefined,
  };
}
