import { AckPolicy, ConsumerConfig, ConsumerMessages, DeliverPolicy, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { OrzoEvent, Subject, decodeEvent } from '@orzo/contracts';
import { Logger, isDomainError, settleWithin } from '@orzo/platform';
import { parkDeadLetter } from './dead-letter';
import { IdempotencyStore, IdempotentItem } from './idempotency';
import { EventContext, EventHandler, HandlerOutcome, OutcomeSignal } from './outcome';
import { isNotFound } from './streams';

export interface ConsumerOptions<S extends Subject = Subject> {
  stream: string;
  durable: string;
  subject: S;
  handler: EventHandler<S>;
  logger: Logger;
  /** Attempts before an event that keeps failing is dead-lettered. */
  maxAttempts?: number;
  /** Delay before attempt n+1 after a failure of attempt n; the last value repeats. */
  backoffMs?: readonly number[];
  /** How long the server waits for an ack before redelivering (ms). */
  ackWaitMs?: number;
  /** Messages handled per transaction at most (default 512); four batches are buffered ahead. */
  batchSize?: number;
  idempotency?: IdempotencyStore;
  /** Without an idempotency store: events handled at once, at most this many (default 1: one after another). */
  concurrency?: number;
  metrics?: ConsumerMetrics;
}

export interface ConsumerMetrics {
  handled(consumer: string, subject: string, outcome: string, seconds: number): void;
}

interface Decoded {
  m: JsMsg;
  event: OrzoEvent;
  ctx: EventContext;
  /** What the handler asked to run once its effects are committed (ctx.afterCommit). */
  committed: Array<() => void>;
}

export const DEFAULT_BACKOFF_MS = [1_000, 5_000, 15_000, 30_000] as const;

/**
 * A durable pull consumer on one subject. Messages are decoded (bad ones are dead-lettered),
 * handled in arrival order in micro-batches (one transaction per batch when an idempotency
 * store is set, falling back to one per message if any effect fails), then acked. Failures
 * are retried with backoff; after maxAttempts the event is dead-lettered with its error. A
 * handler's Outcome.deadLetter, or a permanent DomainError it throws, dead-letters at once.
 */
export class DurableConsumer<S extends Subject = Subject> {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private queue: JsMsg[] = [];
  /** The batch being handled now. */
  private inHand: JsMsg[] = [];
  private draining?: Promise<void>;
  private stopped = false;
  private readonly settled = new WeakSet<JsMsg>();
  private readonly maxAttempts: number;
  private readonly backoffMs: readonly number[];
  private readonly batchSize: number;
  /** Concurrent mode: the messages being handled now, each with its handling. */
  private readonly handling = new Map<JsMsg, Promise<void>>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: ConsumerOptions<S>,
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.backoffMs = options.backoffMs?.length ? options.backoffMs : DEFAULT_BACKOFF_MS;
    this.batchSize = Math.max(1, options.batchSize ?? 512);
  }

  get name(): string {
    return this.options.durable;
  }

  /** Creates the durable consumer, or updates its config; safe to call from every replica. */
  async ensure(): Promise<void> {
    const { stream, durable, subject } = this.options;
    const config: Partial<ConsumerConfig> & { durable_name: string } = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject,
      ack_wait: nanos(this.options.ackWaitMs ?? 30_000),
      // A safety net above our own limit: we dead-letter at maxAttempts and term.
      max_deliver: this.maxAttempts + 2,
      max_ack_pending: Math.max(1000, this.batchSize * 8),
    };
    try {
      const info = await this.jsm.consumers.info(stream, durable);
      const c = info.config;
      if (
        c.filter_subject !== subject ||
        c.ack_wait !== config.ack_wait ||
        c.max_deliver !== config.max_deliver ||
        c.max_ack_pending !== config.max_ack_pending
      ) {
        await this.jsm.consumers.update(stream, durable, {
          filter_subject: subject,
          ack_wait: config.ack_wait,
          max_deliver: config.max_deliver,
          max_ack_pending: config.max_ack_pending,
        });
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.consumers.add(stream, config);
    }
  }

  async start(): Promise<void> {
    await this.ensure();
    const consumer = await this.js.consumers.get(this.options.stream, this.options.durable);
    const concurrency = this.options.idempotency ? 1 : Math.max(1, this.options.concurrency ?? 1);
    this.messages = await consumer.consume({ max_messages: concurrency > 1 ? concurrency : this.batchSize * 4 });
    this.loop = this.run(this.messages, concurrency > 1 ? (m) => this.handleAtOnce(m, concurrency) : (m) => this.enqueue(m));
  }

  /**
   * Stops pulling and finishes the batch in hand, waiting for it at most `waitMs`. What was
   * received but not handled, and a batch in hand that did not finish in time, is nakked: it
   * is redelivered now (to another replica, or this one after a restart), not after ack_wait.
   * A late ack of a nakked message is ignored, and handlers are idempotent.
   */
  async stop(waitMs = Infinity): Promise<void> {
    this.stopped = true;
    const pulling = this.messages?.close().catch(() => undefined);
    const inHand = Promise.all([pulling, this.loop, this.draining, ...this.handling.values()]);
    const finished = waitMs === Infinity ? await inHand.then(() => true) : await settleWithin(inHand, waitMs);
    const unhandled = [...this.queue.splice(0), ...(finished ? [] : [...this.inHand, ...this.handling.keys()])];
    for (const m of unhandled) {
      if (this.settled.has(m)) continue;
      this.giveBack(m);
      this.settled.add(m);
    }
    if (!finished) this.options.logger.warn({ consumer: this.options.durable, nakked: unhandled.length }, 'batch in hand did not finish in time; nakked');
  }

  /**
   * Takes each message the server delivers: `take` queues it for the next batch, or (concurrent
   * mode) starts its handling; either may wait, which is the loop's backpressure.
   */
  private async run(messages: ConsumerMessages, take: (m: JsMsg) => Promise<void> | void): Promise<void> {
    try {
      for await (const m of messages) {
        // Stopping: what still arrives goes back at once (not after ack_wait), until close() ends this.
        if (this.stopped) this.giveBack(m);
        else await take(m);
      }
    } catch (err) {
      if (!this.stopped) this.options.logger.error({ err, consumer: this.options.durable }, 'consumer loop ended');
    }
  }

  /** Queued for the batch after the one in hand. */
  private async enqueue(m: JsMsg): Promise<void> {
    this.queue.push(m);
    if (!this.draining) this.draining = this.drain().finally(() => (this.draining = undefined));
    // Backpressure: buffer a few batches ahead of the handler, so pulling from the server
    // overlaps with handling, but never without bound.
    if (this.queue.length >= this.batchSize * 4) await this.draining;
  }

  /**
   * Concurrent mode: handled as it arrives (its handler called at once, so handlers start in
   * arrival order), at most `limit` at a time; acked when its own handling ends.
   */
  private async handleAtOnce(m: JsMsg, limit: number): Promise<void> {
    const handled = this.handleBatch([m])
      .catch((err: unknown) => {
        this.options.logger.error({ err, consumer: this.options.durable }, 'event handling failed; it will be redelivered');
        if (!this.settled.has(m)) this.giveBack(m, this.delayFor(m.info.deliveryCount));
      })
      .finally(() => this.handling.delete(m));
    this.handling.set(m, handled);
    if (this.handling.size >= limit) await Promise.race(this.handling.values());
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      // Let the messages already received on the socket reach the queue first, so a busy
      // consumer handles them in one transaction instead of one each.
      if (this.queue.length < this.batchSize) await new Promise((r) => setImmediate(r));
      if (this.stopped) break;
      const batch = this.queue.splice(0, this.batchSize);
      this.inHand = batch;
      try {
        await this.handleBatch(batch);
      } catch (err) {
        // Never lose a message to a bug here: unacked messages come back after ack_wait.
        this.options.logger.error({ err, consumer: this.options.durable }, 'batch handling failed; messages will be redelivered');
        for (const m of batch) if (!this.settled.has(m)) this.giveBack(m, this.delayFor(m.info.deliveryCount));
      } finally {
        this.inHand = [];
      }
    }
  }

  /**
   * Decodes, dead-letters the undecodable, handles the rest. While a batch runs, every message
   * still waiting (in the batch or queued behind it) is marked in progress every third of
   * ack_wait, so a slow batch never makes the server redeliver what is merely waiting.
   */
  async handleBatch(batch: JsMsg[]): Promise<void> {
    const keepalive = setInterval(
      () => {
        for (const m of [...batch, ...this.queue])
          if (!this.settled.has(m))
            try {
              m.working();
            } catch {
              // the connection closed: the server redelivers after ack_wait
            }
      },
      Math.max(100, (this.options.ackWaitMs ?? 30_000) / 3),
    );
    try {
      await this.handleDecoded(batch);
    } finally {
      clearInterval(keepalive);
    }
  }

  private async handleDecoded(batch: JsMsg[]): Promise<void> {
    const valid: Decoded[] = [];
    for (const m of batch) {
      const decoded = decodeEvent(m.subject, m.data);
      if (!decoded.ok) {
        this.options.logger.warn(
          { consumer: this.options.durable, subject: m.subject, eventId: decoded.envelope?.id, reason: decoded.reason },
          'undecodable event dead-lettered',
        );
        await parkDeadLetter(this.js, this.options.durable, m, `decode: ${decoded.reason}`);
        this.settled.add(m);
        this.options.metrics?.handled(this.options.durable, m.subject, 'invalid', 0);
        continue;
      }
      const committed: Array<() => void> = [];
      valid.push({ m, event: decoded.event, ctx: this.contextFor(m, decoded.event, committed), committed });
    }
    if (valid.length === 0) return;
    if (this.options.idempotency) await this.handleIdempotent(valid, this.options.idempotency);
    else for (const d of valid) await this.handleOne(d);
  }

  private async handleOne(d: Decoded): Promise<void> {
    const started = process.hrtime.bigint();
    let outcome: HandlerOutcome;
    try {
      outcome = (await this.options.handler(d.event as OrzoEvent<S>, d.ctx)) ?? { kind: 'ack' };
    } catch (err) {
      outcome = this.outcomeOfError(err, d);
    }
    if (outcome.kind === 'ack') this.runCommitted(d);
    await this.settle(d, outcome, started);
  }

  private async handleIdempotent(batch: Decoded[], store: IdempotencyStore): Promise<void> {
    const started = process.hrtime.bigint();
    const outcomes = new Map<Decoded, HandlerOutcome>();
    const items: IdempotentItem[] = batch.map((d) => ({
      eventId: d.event.envelope.id,
      subject: d.m.subject,
      effect: async (tx) => {
        d.ctx.tx = tx;
        d.committed.length = 0;
        const outcome = (await this.options.handler(d.event as OrzoEvent<S>, d.ctx)) ?? { kind: 'ack' };
        if (outcome.kind !== 'ack') throw new OutcomeSignal(outcome);
      },
    }));
    const results = await store.apply(this.options.durable, items);
    batch.forEach((d, i) => {
      const r = results[i]!;
      if (r.status === 'failed') outcomes.set(d, r.error instanceof OutcomeSignal ? r.error.outcome : this.outcomeOfError(r.error, d));
      else {
        if (r.status === 'duplicate') d.ctx.log.info('duplicate event skipped: already processed');
        else this.runCommitted(d);
        outcomes.set(d, { kind: 'ack' });
      }
    });
    for (const d of batch) {
      const parked = this.settle(d, outcomes.get(d)!, started);
      if (parked) await parked;
    }
  }

  /** Runs the handler's ctx.afterCommit callbacks; one that throws is logged, not the event's failure. */
  private runCommitted(d: Decoded): void {
    for (const fn of d.committed.splice(0)) {
      try {
        fn();
      } catch (err) {
        d.ctx.log.warn({ err }, 'an afterCommit callback failed');
      }
    }
  }

  /** A thrown permanent DomainError (not found, invalid argument, ...) is parked at once; anything else is retried. */
  private outcomeOfError(err: unknown, d: Decoded): HandlerOutcome {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (isDomainError(err) && err.permanent) return { kind: 'dead-letter', reason };
    d.ctx.log.warn({ err, attempt: d.ctx.deliveryCount }, 'handler failed');
    return { kind: 'retry', reason };
  }

  /** Acks, naks or dead-letters one message; synchronous unless it must publish a dead letter. */
  private settle(d: Decoded, outcome: HandlerOutcome, started: bigint): Promise<void> | void {
    const { m, ctx } = d;
    const done = () => {
      this.settled.add(m);
      this.options.metrics?.handled(this.options.durable, m.subject, outcome.kind, Number(process.hrtime.bigint() - started) / 1e9);
    };
    if (outcome.kind === 'ack') {
      m.ack();
      return done();
    }
    if (outcome.kind === 'retry' && m.info.deliveryCount < this.maxAttempts) {
      const delay = outcome.delayMs ?? this.delayFor(m.info.deliveryCount);
      ctx.log.info({ reason: outcome.reason, retryInMs: delay, attempt: m.info.deliveryCount }, 'event will be retried');
      m.nak(delay);
      return done();
    }
    const reason = outcome.kind === 'dead-letter' ? outcome.reason : `after ${m.info.deliveryCount} attempts: ${outcome.reason}`;
    ctx.log.error({ reason, attempts: m.info.deliveryCount }, 'event dead-lettered');
    return parkDeadLetter(this.js, this.options.durable, m, reason).then(done);
  }

  /** Naks a message (redelivered after `delayMs`); with the connection closed the server redelivers it after ack_wait anyway. */
  private giveBack(m: JsMsg, delayMs?: number): void {
    try {
      m.nak(delayMs);
    } catch {
      // nats-core throws once the connection is closed
    }
  }

  private delayFor(deliveryCount: number): number {
    return this.backoffMs[Math.min(deliveryCount - 1, this.backoffMs.length - 1)] ?? 1000;
  }

  private contextFor(m: JsMsg, event: OrzoEvent, committed: Array<() => void>): EventContext {
    const logger = this.options.logger;
    const durable = this.options.durable;
    let log: Logger | undefined;
    return {
      subject: m.subject,
      envelope: event.envelope,
      deliveryCount: m.info.deliveryCount,
      streamSequence: m.info.streamSequence,
      consumer: durable,
      // Built on first use: most handlers of a busy consumer never log.
      get log(): Logger {
        return (log ??= logger.child({ eventId: event.envelope.id, subject: m.subject, correlationId: event.envelope.correlationId, consumer: durable }));
      },
      afterCommit: (fn) => void committed.push(fn),
    };
  }
}
