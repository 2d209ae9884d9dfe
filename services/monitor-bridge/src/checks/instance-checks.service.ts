import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService, DiscoveryRegistryStore } from '@orzo/bus';
import { DeployFailed, InstanceSpec, InstanceStopped } from '@orzo/contracts';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { AlertService } from '../alerts/alert.service';
import type { MonitorBridgeConfig } from '../config';
import { MonitorMetrics } from '../monitor.metrics';
import { MonitorService, instanceKeyOf } from '../monitor.service';
import { CheckNames, CheckResult, CheckStatus, InstanceRef } from './check-result';
import { CrashWindow, isCrash } from './crash-window';
import { criticalReplicas, replicationCheck } from './replication.check';

/** PaaSTA's OOM check looks at the last minute. */
const OOM_WINDOW_MS = 60_000;

/**
 * The per-instance checks, with PaaSTA's names: replication (every check_every), OOM kills
 * and crash loops (from instance.stopped, and every check_every until they clear), failed
 * deploys (from deploy.failed until the instance's next deploy.completed or deploy.requested).
 * Each result goes to the AlertService.
 */
@Injectable()
export class InstanceChecks implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly crashes: CrashWindow;
  private readonly failedDeploys = new Map<string, DeployFailed>();
  private registry?: DiscoveryRegistryStore;
  private stopped = false;

  constructor(
    private readonly monitor: MonitorService,
    private readonly alerts: AlertService,
    private readonly bus: BusService,
    private readonly metrics: MonitorMetrics,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorBridgeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.crashes = new CrashWindow(config.ORZO_CRASHLOOP_WINDOW_S * 1000);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The monitor's bootstrap hook may not have run yet (Nest runs them concurrently).
    await this.monitor.load();
    for (const spec of this.monitor.instances()) this.track(spec);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
  }

  /** A new desired spec: checked from now on at its check_every; a failed deploy is retried, so it clears. */
  onSpec(spec: InstanceSpec): void {
    this.failedDeploys.delete(instanceKeyOf(spec));
    this.track(spec);
  }

  onStopped(e: InstanceStopped): void {
    const r = e.replica!;
    const k = instanceKeyOf(r);
    if (!isCrash(e)) return;
    const now = Date.now();
    this.crashes.recordCrash(k, now);
    if (e.oomKilled) this.crashes.recordOom(k, r.replicaId, now);
    void this.runEventChecks(r);
  }

  onDeployFailed(e: DeployFailed): void {
    this.failedDeploys.set(instanceKeyOf(e), e);
    void this.report(this.deployCheck(e));
  }

  onDeployCompleted(i: InstanceRef): void {
    if (this.failedDeploys.delete(instanceKeyOf(i))) void this.report(this.deployCheck(i));
  }

  private track(spec: InstanceSpec): void {
    const k = instanceKeyOf(spec);
    if (!this.timers.has(k)) this.schedule(k, 0);
  }

  private schedule(k: string, delayMs: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => void this.runAll(k), delayMs);
    t.unref();
    this.timers.set(k, t);
  }

  private async runAll(k: string): Promise<void> {
    const spec = this.monitor.spec(k);
    try {
      if (spec) {
        await this.report(await this.replication(spec));
        await this.runEventChecks(spec);
        if (this.failedDeploys.has(k)) await this.report(this.deployCheck(spec));
      }
    } catch (err) {
      this.logger.error({ instance: k, err }, 'instance checks failed');
    } finally {
      const every = spec?.monitoring?.set ? spec.monitoring.checkEverySeconds : 60;
      this.schedule(k, Math.max(0.2, every || 60) * 1000);
    }
  }

  /** UP in discovery for a mesh instance (first registration is its own name, as PaaSTA counts), else healthy. */
  private async replication(spec: InstanceSpec): Promise<CheckResult> {
    const k = instanceKeyOf(spec);
    const own = `${spec.service}.${spec.instance}`;
    let available: number;
    if (spec.registrations[0] === own) {
      this.registry ??= await DiscoveryRegistryStore.open(this.bus.connection);
      available = (await this.registry.endpoints(own)).length;
    } else {
      available = this.monitor.healthyCount(k);
    }
    const expected = spec.desiredState === 'stop' ? 0 : spec.replicas;
    const threshold = (spec.monitoring?.set && spec.monitoring.replicationThreshold) || 50;
    const labels = { service: spec.service, instance: spec.instance, cluster: spec.cluster };
    this.metrics.expected.set(labels, expected);
    this.metrics.available.set(labels, available);
    this.metrics.critical.set(labels, criticalReplicas(expected, threshold));
    return replicationCheck(spec, { expected, available, thresholdPercent: threshold });
  }

  private async runEventChecks(i: InstanceRef): Promise<void> {
    const k = instanceKeyOf(i);
    const spec = this.monitor.spec(k);
    const now = Date.now();
    if (!spec?.monitoring?.set || spec.monitoring.checkOomEvents) {
      const oom = this.crashes.lastOom(k);
      const recent = oom !== undefined && now - oom.at < OOM_WINDOW_MS;
      await this.report({
        ...ref(i),
        check: CheckNames.oom(i),
        status: recent ? CheckStatus.CRITICAL : CheckStatus.OK,
        output: recent
          ? `Replica ${oom.replicaId} of ${i.service}.${i.instance} was killed by the OOM killer ${Math.round((now - oom.at) / 1000)}s ago: it needs more than its mem limit (${spec?.memMb ?? '?'} MB).`
          : `No OOM kill of ${i.service}.${i.instance} in the last minute.`,
        // PaaSTA's check_oom_events: page false, alert at once, realert every run.
        overrides: { page: false, alertAfterSeconds: 0, realertEvery: 1 },
      });
    }
    const crashes = this.crashes.crashCount(k, now);
    const looping = crashes >= this.config.ORZO_CRASHLOOP_RESTARTS;
    await this.report({
      ...ref(i),
      check: CheckNames.crashLoop(i),
      status: looping ? CheckStatus.CRITICAL : CheckStatus.OK,
      output: `${i.service}.${i.instance}: ${crashes} replica crash(es) in the last ${this.config.ORZO_CRASHLOOP_WINDOW_S}s (crash loop at ${this.config.ORZO_CRASHLOOP_RESTARTS}).`,
      // The window is the hold: the loop has lasted long enough when it is detected.
      overrides: { alertAfterSeconds: 0 },
    });
  }

  private deployCheck(i: InstanceRef): CheckResult {
    const failed = this.failedDeploys.get(instanceKeyOf(i));
    return {
      ...ref(i),
      check: CheckNames.deployFailed(i),
      status: failed ? CheckStatus.CRITICAL : CheckStatus.OK,
      output: failed
        ? `Deploy ${failed.deployId} of ${i.service}.${i.instance} failed: ${failed.reason}${failed.detail ? ` (${failed.detail})` : ''}`
        : `${i.service}.${i.instance} deployed.`,
      overrides: { alertAfterSeconds: 0 },
    };
  }

  private report(r: CheckResult): Promise<void> {
    return this.alerts.evaluate(r, this.monitor.spec(instanceKeyOf(r)));
  }
}

function ref(i: InstanceRef): InstanceRef {
  return { service: i.service, instance: i.instance, cluster: i.cluster };
}
