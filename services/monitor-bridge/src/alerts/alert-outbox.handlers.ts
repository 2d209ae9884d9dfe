import { Inject, Injectable } from '@nestjs/common';
import { EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { AlertRaised, AlertResolved, OrzoEvent, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { AlertSink } from '../sinks/alert-sink';
import { ALERT_SINKS } from '../sinks/sink-config';
import { SinkRelay } from '../sinks/sink-relay';

/**
 * Fans each alert event out to one outbox row per configured sink, in the consumer's
 * transaction (so exactly once per event), then wakes the relay. The bus is the record; the
 * outbox is what each sink still owes.
 */
@Injectable()
export class AlertOutboxHandlers {
  constructor(
    @Inject(ALERT_SINKS) private readonly sinks: AlertSink[],
    private readonly deliveries: DeliveryRepository,
    private readonly relay: SinkRelay,
  ) {}

  @Subscribe(Subjects.AlertRaised)
  async onAlertRaised(e: OrzoEvent<typeof Subjects.AlertRaised>, ctx: EventContext): Promise<HandlerOutcome> {
    const payload = JSON.stringify(AlertRaised.toJSON(e.payload));
    for (const s of this.sinks)
      await this.deliveries.enqueue(transactionOf(ctx), { sink: s.name, alertId: e.payload.alertId, eventId: e.envelope.id, kind: 'raised', payload });
    setImmediate(() => this.relay.kick());
    return Outcome.ack();
  }

  @Subscribe(Subjects.AlertResolved)
  async onAlertResolved(e: OrzoEvent<typeof Subjects.AlertResolved>, ctx: EventContext): Promise<HandlerOutcome> {
    const payload = JSON.stringify(AlertResolved.toJSON(e.payload));
    for (const s of this.sinks)
      await this.deliveries.enqueue(transactionOf(ctx), { sink: s.name, alertId: e.payload.alertId, eventId: e.envelope.id, kind: 'resolved', payload });
    setImmediate(() => this.relay.kick());
    return Outcome.ack();
  }
}
