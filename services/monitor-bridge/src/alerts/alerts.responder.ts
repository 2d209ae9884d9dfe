import { Injectable } from '@nestjs/common';
import { Respond } from '@orzo/bus';
import { ListAlertsAnswer, ListAlertsCall, Rpcs } from '@orzo/contracts';
import { DeliveryRepository } from '../persistence/delivery.repository';
import { SinkRelay } from '../sinks/sink-relay';
import { AlertService } from './alert.service';

/** Answers `orzo alerts` (through control-api): what fires now, since when, and which sinks have it. */
@Injectable()
export class AlertsResponder {
  constructor(
    private readonly alerts: AlertService,
    private readonly deliveries: DeliveryRepository,
    private readonly relay: SinkRelay,
  ) {}

  @Respond(Rpcs.listAlerts)
  async list(req: ListAlertsCall): Promise<ListAlertsAnswer> {
    const firing = await this.alerts.firing(req.service || undefined);
    const rows = await this.deliveries.ofAlerts(firing.map((a) => a.alertId));
    return {
      alerts: firing.map((a) => {
        const r = a.raised!;
        // The latest event of this alert per sink says whether the sink has what fires now.
        const latest = new Map<string, (typeof rows)[number]>();
        for (const d of rows) if (d.alertId === a.alertId && d.kind === 'raised') latest.set(d.sink, d);
        return {
          alertId: a.alertId,
          check: r.check,
          service: r.service,
          instance: r.instance,
          cluster: r.cluster,
          severity: r.severity,
          output: r.output,
          team: r.team,
          page: r.page,
          runbook: r.runbook,
          raisedAt: r.raisedAt,
          failingSince: r.failingSince,
          repeats: r.repeat,
          deliveries: this.relay.sinkNames.map((sink) => {
            const d = latest.get(sink);
            return {
              sink,
              state: d?.deliveredAt ? ('delivered' as const) : ('pending' as const),
              deliveredAt: d?.deliveredAt ?? '',
              attempts: d?.attempts ?? 0,
              lastError: d?.lastError ?? '',
            };
          }),
        };
      }),
    };
  }
}
