import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EnvelopeMeta, EventMap, Subject, decodeEvent } from '@orzo/contracts';
import { BusService } from '@orzo/bus';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { LOGGER, Logger, settleWithin } from '@orzo/platform';
import { OutboxMessageSchema } from './outbox-message.entity';

/**
 * Publishes the events control-api wrote in the same transaction as its state changes. A row
 * is marked published only after JetStream stored it; a crash in between re-publishes it at the
 * next boot with the same event id, which the stream's duplicate window and every consumer's
 * processed-event table turn into a no-op. Nothing is lost, nothing applies twice.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private running: Promise<number> = Promise.resolve(0);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: DatabaseHolder,
    private readonly bus: BusService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const n = await this.flush();
    if (n) this.logger.info({ published: n }, 'outbox: published events left over from before the restart');
    // Rows whose publish failed (NATS unreachable) are retried until they go out.
    this.timer = setInterval(() => void this.flush().catch((err: unknown) => this.logger.warn({ err }, 'outbox: publish failed; will retry')), 5_000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // A flush waiting on an absent NATS is left: its rows stay pending and go out at the next start.
    await settleWithin(this.running, 2_000);
  }

  /** Writes an event in the caller's transaction; it goes out once that has committed (flush). */
  async enqueue<S extends Subject>(em: EntityManager, envelope: EnvelopeMeta & { type: S }, payload: EventMap[S]): Promise<void> {
    await em.getRepository(OutboxMessageSchema).enqueue(envelope, payload);
  }

  /** Publishes every pending row, one flush at a time; resolves to how many were published. */
  flush(): Promise<number> {
    this.running = this.running.then(
      () => this.publishPending(),
      () => this.publishPending(),
    );
    return this.running;
  }

  private async publishPending(): Promise<number> {
    const outbox = this.db.database.em().getRepository(OutboxMessageSchema);
    const rows = await outbox.pending();
    for (const row of rows) {
      const decoded = decodeEvent(row.subject, Buffer.from(row.body));
      if (!decoded.ok) {
        this.logger.error({ eventId: row.id, reason: decoded.reason }, 'outbox row does not decode; left unpublished');
        continue;
      }
      await this.bus.publishEnvelope(decoded.event.envelope, decoded.event.payload as never);
      await outbox.markPublished(row.id);
    }
    return rows.length;
  }
}
