import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AlertRaised, AlertResolved } from '@orzo/contracts';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import type { MonitorBridgeConfig } from '../config';
import { MonitorMetrics } from '../monitor.metrics';
import { AlertRepository } from '../persistence/alert.repository';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { MonitorDelivery } from '../persistence/monitor.entities';
import { ALERT_SINKS } from './sink-config';
import { AlertSink, SinkItem } from './alert-sink';

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Delivers the per-sink outbox (monitor_delivery) to each sink, in order, one loop per sink:
 * a sink that fails keeps its item and is retried with backoff (1 s doubling to
 * ORZO_ALERT_RETRY_MAX_S) for as long as it takes; nothing is dropped, and the other sinks are
 * not held back. Sinks that forget (Alertmanager, Sensu) also get every firing alert re-sent.
 */
@Injectable()
export class SinkRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastResend = new Map<string, number>();
  private readonly running = new Set<string>();
  private lastPrune = 0;
  private stopped = false;

  constructor(
    @Inject(ALERT_SINKS) private readonly sinks: AlertSink[],
    private readonly deliveries: DeliveryRepository,
    private readonly alerts: AlertRepository,
    private readonly metrics: MonitorMetrics,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorBridgeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get sinkNames(): string[] {
    return this.sinks.map((s) => s.name);
  }

  onApplicationBootstrap(): void {
    this.logger.info({ sinks: this.sinkNames }, this.sinks.length ? `alert sinks: ${this.sinkNames.join(', ')}` : 'no alert sink configured');
    for (const s of this.sinks) this.schedule(s, 0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
  }

  /** Something was queued: deliver now rather than at the next tick. */
  kick(): void {
    for (const s of this.sinks) if (!this.running.has(s.name)) this.schedule(s, 0);
  }

  private schedule(sink: AlertSink, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(sink.name));
    const t = setTimeout(() => void this.pass(sink), delayMs);
    t.unref();
    this.timers.set(sink.name, t);
  }

  private async pass(sink: AlertSink): Promise<void> {
    if (this.running.has(sink.name)) return;
    this.running.add(sink.name);
    let next = 1_000;
    try {
      next = await this.drain(sink);
      if (next === 1_000 && sink.resendSeconds !== undefined) next = await this.resend(sink);
    } catch (err) {
      this.logger.error({ sink: sink.name, err }, 'alert relay pass failed');
    } finally {
      this.running.delete(sink.name);
      this.schedule(sink, next);
    }
  }

  /** Delivers what is due, in order; returns when to look again (later when the sink fails). */
  private async drain(sink: AlertSink): Promise<number> {
    const pending = await this.deliveries.pending(sink.name);
    this.metrics.deliveriesPending.set({ sink: sink.name }, pending.length);
    for (const d of pending) {
      const dueIn = Date.parse(d.nextAttemptAt) - Date.now();
      if (dueIn > 0) return Math.min(dueIn, 1_000);
      try {
        await sink.deliver(itemOf(d));
        await this.deliveries.markDelivered([d.id!]);
        this.metrics.deliveries.inc({ sink: sink.name, outcome: 'delivered' });
        this.logger.info({ sink: sink.name, alertId: d.alertId, kind: d.kind, attempts: d.attempts + 1 }, `alert ${d.kind} delivered to ${sink.name}`);
      } catch (err) {
        const attempts = d.attempts + 1;
        const backoffMs = Math.min(1000 * 2 ** (attempts - 1), this.config.ORZO_ALERT_RETRY_MAX_S * 1000);
        await this.deliveries.markFailed(d.id!, attempts, (err as Error).message, new Date(Date.now() + backoffMs));
        this.metrics.deliveries.inc({ sink: sink.name, outcome: 'failed' });
        this.logger.warn(
          { sink: sink.name, alertId: d.alertId, attempts, retryInMs: backoffMs, err: (err as Error).message },
          `alert delivery to ${sink.name} failed; retrying`,
        );
        return backoffMs;
      }
    }
    if (Date.now() - this.lastPrune > HOUR_MS) {
      this.lastPrune = Date.now();
      await this.deliveries.prune(new Date(Date.now() - DAY_MS));
    }
    return 1_000;
  }

  /** Re-sends every firing alert (with a team) once per resend period, once the outbox is empty. */
  private async resend(sink: AlertSink): Promise<number> {
    const period = sink.resendSeconds! * 1000;
    const last = this.lastResend.get(sink.name) ?? Date.now();
    if (!this.lastResend.has(sink.name)) this.lastResend.set(sink.name, last);
    if (Date.now() - last < period) return Math.min(1_000, period - (Date.now() - last));
    for (const a of await this.alerts.all()) {
      if (!a.raised || !a.raised.team) continue;
      try {
        await sink.deliver({ kind: 'raised', raised: a.raised });
      } catch (err) {
        this.logger.warn({ sink: sink.name, alertId: a.alertId, err: (err as Error).message }, `re-sending a firing alert to ${sink.name} failed`);
        return 1_000;
      }
    }
    this.lastResend.set(sink.name, Date.now());
    return 1_000;
  }
}

function itemOf(d: MonitorDelivery): SinkItem {
  const json: unknown = JSON.parse(d.payload);
  if (d.kind === 'resolved') {
    const resolved = AlertResolved.fromJSON(json);
    return { kind: 'resolved', resolved, raised: resolved.last ?? AlertRaised.fromPartial({ alertId: resolved.alertId, check: resolved.check }) };
  }
  return { kind: 'raised', raised: AlertRaised.fromJSON(json) };
}
