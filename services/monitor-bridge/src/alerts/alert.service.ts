import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { AlertRaised, MonitoringSpec, Subjects } from '@orzo/contracts';
import { LOGGER, Logger } from '@orzo/platform';
import { CheckResult, CheckStatus, alertIdOf } from '../checks/check-result';
import { MonitorMetrics } from '../monitor.metrics';
import { AlertRepository, StoredAlert } from '../persistence/alert.repository';
import { AlertTiming, INITIAL_STATE, applyResult } from './alert-policy';

/** PaaSTA's defaults for an instance whose spec carries no monitoring (older InstanceSpecs). */
const DEFAULT_MONITORING: MonitoringSpec = MonitoringSpec.fromPartial({
  runbook: 'http://y/paasta-troubleshooting',
  checkEverySeconds: 60,
  alertAfterSeconds: 300,
  realertEvery: -1,
  checkOomEvents: true,
});

/**
 * Turns check results into alerts: applies alert_after / realert_every per alert (state kept
 * in monitor_alert), and publishes orzo.alert.raised.v1 (raise and each repeat) and
 * orzo.alert.resolved.v1 with the instance's whole routing (monitoring.yaml merged with its
 * `monitoring:`). An instance without a team is PaaSTA's "no team, no alert": nothing is
 * published, and one log line says so when it would have fired.
 */
@Injectable()
export class AlertService implements OnApplicationBootstrap {
  private readonly alerts = new Map<string, StoredAlert>();
  /** Serialises the evaluations of one alert (a timer and an event can race). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: BusService,
    private readonly repository: AlertRepository,
    private readonly metrics: MonitorMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private loaded?: Promise<void>;

  async onApplicationBootstrap(): Promise<void> {
    await this.load();
  }

  /**
   * The stored alerts, loaded once; every evaluation waits for it (an event can be handled
   * before this service's bootstrap hook ran), so a restart never raises a firing alert anew.
   */
  load(): Promise<void> {
    return (this.loaded ??= (async () => {
      for (const a of await this.repository.all()) this.alerts.set(a.alertId, a);
      this.refreshGauges();
    })());
  }

  /** The alerts firing now (with a team), optionally of one service. */
  async firing(service?: string): Promise<StoredAlert[]> {
    await this.load();
    return this.firingNow(service);
  }

  /** Applies one check result; resolves once the alert's event (if any) is published. */
  evaluate(result: CheckResult, spec: { monitoring?: MonitoringSpec } | undefined): Promise<void> {
    const id = alertIdOf(result);
    const run = (this.queues.get(id) ?? this.load()).then(() => this.apply(id, result, spec));
    const settled = run.catch((err: unknown) => this.logger.error({ alertId: id, err }, 'alert evaluation failed'));
    this.queues.set(id, settled);
    void settled.then(() => this.queues.get(id) === settled && this.queues.delete(id));
    return settled;
  }

  private async apply(alertId: string, r: CheckResult, spec: { monitoring?: MonitoringSpec } | undefined): Promise<void> {
    const m = spec?.monitoring?.set ? spec.monitoring : DEFAULT_MONITORING;
    const prev = this.alerts.get(alertId) ?? { alertId, service: r.service, state: INITIAL_STATE };
    if (prev.state.status === CheckStatus.OK && r.status === CheckStatus.OK && prev.raised === undefined && this.alerts.has(alertId)) return;
    const timing: AlertTiming = {
      alertAfterSeconds: r.overrides?.alertAfterSeconds ?? m.alertAfterSeconds,
      realertEvery: r.overrides?.realertEvery ?? m.realertEvery,
      realertEverySeconds: r.overrides?.realertEvery !== undefined ? 0 : m.realertEverySeconds,
    };
    const now = Date.now();
    const { next, action } = applyResult(prev.state, r.status, r.output, timing, now);
    let raised = prev.raised;
    if (action === 'raise' || action === 'repeat') {
      const alert = toAlertRaised(alertId, r, m, next, timing);
      if (!m.team) {
        if (action === 'raise')
          this.logger.warn(
            { alertId, check: r.check, service: r.service },
            `alert ${r.check} dropped: ${r.service} has no monitoring team (set team: in monitoring.yaml)`,
          );
      } else {
        await this.bus.publish(Subjects.AlertRaised, alert, { id: `alert:${alertId}:${next.seq}` });
        raised = alert;
      }
    } else if (action === 'resolve') {
      if (prev.raised)
        await this.bus.publish(
          Subjects.AlertResolved,
          {
            alertId,
            check: r.check,
            service: r.service,
            instance: r.instance,
            cluster: r.cluster,
            output: r.output,
            last: prev.raised,
            resolvedAt: new Date(now).toISOString(),
          },
          { id: `alert:${alertId}:${next.seq}` },
        );
      raised = undefined;
    }
    const stored: StoredAlert = { alertId, service: r.service, state: next, raised: next.raisedAt !== undefined ? raised : undefined };
    await this.repository.save(stored);
    this.alerts.set(alertId, stored);
    if (action !== 'none') this.refreshGauges();
  }

  private firingNow(service?: string): StoredAlert[] {
    return [...this.alerts.values()].filter((a) => a.raised && a.state.raisedAt !== undefined && (!service || a.service === service));
  }

  private refreshGauges(): void {
    this.metrics.alertsFiring.reset();
    for (const a of this.firingNow()) this.metrics.alertsFiring.inc({ service: a.raised!.service, instance: a.raised!.instance, cluster: a.raised!.cluster });
  }
}

function toAlertRaised(
  alertId: string,
  r: CheckResult,
  m: MonitoringSpec,
  s: { failingSince?: number; raisedAt?: number; repeats: number; status: number },
  t: AlertTiming,
): AlertRaised {
  return {
    alertId,
    check: r.check,
    service: r.service,
    instance: r.instance,
    cluster: r.cluster,
    severity: r.status === CheckStatus.CRITICAL ? 'critical' : 'warning',
    output: r.output,
    team: m.team,
    page: r.overrides?.page ?? m.page,
    ticket: m.ticket,
    runbook: m.runbook,
    tip: m.tip,
    notificationEmail: m.notificationEmail,
    slackChannels: m.slackChannels,
    ircChannels: m.ircChannels,
    project: m.project,
    priority: m.priority,
    tags: m.tags,
    component: m.component,
    description: m.description,
    checkEverySeconds: m.checkEverySeconds,
    alertAfterSeconds: t.alertAfterSeconds,
    realertEvery: t.realertEvery,
    realertEverySeconds: t.realertEverySeconds,
    status: r.status,
    failingSince: new Date(s.failingSince ?? Date.now()).toISOString(),
    raisedAt: new Date(s.raisedAt ?? Date.now()).toISOString(),
    repeat: s.repeats,
    source: `paasta-${r.cluster}`,
  };
}
