import { AlertRaised } from '@orzo/contracts';
import { AlertSink, SinkItem, postJson, routingAnnotations } from './alert-sink';

/** One alert of Alertmanager's API v2 (POST /api/v2/alerts takes a list of them). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/**
 * Prometheus Alertmanager, API v2. An alert's identity is its label set, so labels hold only
 * what identifies and routes it (alertname, service, instance, cluster, team, severity); the
 * rest goes in annotations. Like Prometheus, a firing alert is re-posted every `resendSeconds`
 * with endsAt = now + 4 x resendSeconds, so Alertmanager never times it out while it holds and
 * does if monitor-bridge is gone; a resolution posts the same labels with endsAt = resolved time.
 */
export class AlertmanagerSink implements AlertSink {
  readonly name = 'alertmanager';

  constructor(
    private readonly baseUrl: string,
    readonly resendSeconds: number,
  ) {}

  async deliver(item: SinkItem): Promise<void> {
    const endsAt =
      item.kind === 'resolved' ? item.resolved.resolvedAt || new Date().toISOString() : new Date(Date.now() + 4 * this.resendSeconds * 1000).toISOString();
    const body = [toAlertmanager(item.raised, endsAt, item.kind === 'resolved' ? item.resolved.output : undefined)];
    await postJson(this.name, `${this.baseUrl.replace(/\/+$/, '')}/api/v2/alerts`, JSON.stringify(body));
  }
}

export function toAlertmanager(a: AlertRaised, endsAt: string, resolvedOutput?: string): AlertmanagerAlert {
  const labels: Record<string, string> = {
    alertname: a.check,
    service: a.service,
    instance: a.instance,
    cluster: a.cluster,
    team: a.team,
    severity: a.page ? 'critical' : 'warning',
  };
  const summary = resolvedOutput ?? a.output;
  return {
    labels,
    annotations: { ...routingAnnotations(a), summary, status: resolvedOutput === undefined ? a.severity : 'ok' },
    startsAt: a.raisedAt || new Date().toISOString(),
    endsAt,
  };
}
