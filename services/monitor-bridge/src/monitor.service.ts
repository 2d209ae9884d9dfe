import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import type { EntityManager } from '@orzo/persistence';
import { HealthcheckSpec, InstanceSpec, ReplicaRef, Rpcs, Subjects } from '@orzo/contracts';
import { ReplicaExec, checkOnce } from '@orzo/platform';
import { MonitorMetrics } from './monitor.metrics';
import { MonitorRepository } from './persistence/monitor.repository';

interface Watched {
  replica: ReplicaRef;
  registrations: string[];
  startedAt: number;
  healthy?: boolean;
  failures: number;
  /** When the last failure was counted (the checks before a first success count one per interval). */
  countedAt?: number;
  timer?: NodeJS.Timeout;
}

/**
 * Health-checks every replica with its instance's check (grace period, interval, timeout,
 * consecutive failures), often until its first success so deploys are fast, and publishes
 * instance.healthy / instance.unhealthy on transitions only.
 */
@Injectable()
export class MonitorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly specs = new Map<string, HealthcheckSpec>();
  /** The whole desired spec per instance (replicas, monitoring), for the instance checks. */
  private readonly instanceSpecs = new Map<string, InstanceSpec>();
  private readonly watched = new Map<string, Watched>();
  private stopped = false;

  constructor(
    private readonly bus: BusService,
    private readonly repository: MonitorRepository,
    private readonly metrics: MonitorMetrics,
  ) {}

  private loaded?: Promise<void>;

  /** Resumes every check after a restart; health is re-established from the next checks. */
  async onApplicationBootstrap(): Promise<void> {
    await this.load();
  }

  /**
   * What was stored, loaded once. Nest runs the bootstrap hooks of a module's providers
   * concurrently, so whoever needs the stored instances awaits this rather than the hook.
   */
  load(): Promise<void> {
    return (this.loaded ??= (async () => {
      for (const [instanceKey, { healthcheck, spec }] of await this.repository.specs()) {
        this.specs.set(instanceKey, healthcheck);
        if (spec) this.instanceSpecs.set(instanceKey, spec);
      }
      for (const { replica, registrations } of await this.repository.replicas()) this.watch(replica, registrations);
    })());
  }

  /** Records an instance's spec (in the handler's transaction) and uses its health check from now on. */
  async saveSpec(tx: EntityManager, spec: InstanceSpec): Promise<void> {
    await this.repository.saveSpec(tx, instanceKeyOf(spec), spec);
    this.setSpec(spec);
  }

  /** Every instance with a desired spec. */
  instances(): InstanceSpec[] {
    return [...this.instanceSpecs.values()];
  }

  spec(instanceKey: string): InstanceSpec | undefined {
    return this.instanceSpecs.get(instanceKey);
  }

  /** Replicas of the instance watched now that passed their latest check. */
  healthyCount(instanceKey: string): number {
    let n = 0;
    for (const w of this.watched.values()) if (w.healthy === true && instanceKeyOf(w.replica) === instanceKey) n++;
    return n;
  }

  async saveReplica(tx: EntityManager, replica: ReplicaRef, registrations: string[]): Promise<void> {
    await this.repository.saveReplica(tx, replica, registrations);
    this.watch(replica, registrations);
  }

  async forgetReplica(tx: EntityManager, replicaId: string): Promise<void> {
    await this.repository.forgetReplica(tx, replicaId);
    this.unwatch(replicaId);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const w of this.watched.values()) clearTimeout(w.timer);
  }

  setSpec(spec: InstanceSpec): void {
    this.instanceSpecs.set(instanceKeyOf(spec), spec);
    if (spec.healthcheck) this.specs.set(instanceKeyOf(spec), spec.healthcheck);
  }

  watch(replica: ReplicaRef, registrations: string[]): void {
    if (this.watched.has(replica.replicaId)) return;
    const w: Watched = { replica, registrations, startedAt: Date.now(), failures: 0 };
    this.watched.set(replica.replicaId, w);
    this.schedule(w, 0);
  }

  unwatch(replicaId: string): void {
    const w = this.watched.get(replicaId);
    if (!w) return;
    clearTimeout(w.timer);
    this.watched.delete(replicaId);
  }

  get watchedCount(): number {
    return this.watched.size;
  }

  private schedule(w: Watched, delayMs: number): void {
    if (this.stopped) return;
    w.timer = setTimeout(() => void this.check(w), delayMs);
    w.timer.unref();
  }

  private async check(w: Watched): Promise<void> {
    if (!this.watched.has(w.replica.replicaId)) return;
    const hc = this.specs.get(instanceKeyOf(w.replica));
    if (!hc && Date.now() - w.startedAt < 5_000) {
      // instance.started can overtake deploy.requested (two consumers): wait for the spec.
      this.schedule(w, 200);
      return;
    }
    const started = performance.now();
    const result = await checkOnce(hc, w.replica.host, w.replica.checkPort || w.replica.port, this.execIn(w.replica));
    if (!this.watched.has(w.replica.replicaId)) return;
    const { service, instance, cluster } = w.replica;
    this.metrics.checkLatency.set({ service, instance, cluster }, (performance.now() - started) / 1000);
    const interval = Math.max(0.1, hc?.intervalSeconds || 10) * 1000;
    const inGrace = Date.now() - w.startedAt < (hc?.gracePeriodSeconds ?? 0) * 1000;
    if (result.ok) {
      w.failures = 0;
      if (w.healthy !== true) {
        w.healthy = true;
        await this.bus.publish(Subjects.InstanceHealthy, { replica: w.replica, checkOutput: result.output, registrations: w.registrations });
      }
    } else if ((!inGrace || w.healthy === true) && countsAsFailure(w, interval)) {
      w.failures++;
      if (w.failures >= (hc?.maxConsecutiveFailures || 1) && w.healthy !== false) {
        w.healthy = false;
        await this.bus.publish(Subjects.InstanceUnhealthy, {
          replica: w.replica,
          checkOutput: result.output,
          consecutiveFailures: w.failures,
          registrations: w.registrations,
        });
      }
    }
    // Until the first success, check fast, so a new replica joins quickly: every 10 ms in its
    // first 100 ms (a container answers within tens of ms of its start), then a tenth of its
    // age, at most every 200 ms (a cmd check, an exec through the bridge, every 200 ms).
    const young = hc?.mode === 'cmd' ? 200 : Math.max(10, (Date.now() - w.startedAt) / 10);
    this.schedule(w, w.healthy === undefined ? Math.min(interval, 200, young) : interval);
  }

  /** A command inside the replica through its cluster's scheduler-bridge (which owns the engine). */
  private execIn(replica: ReplicaRef): ReplicaExec {
    return (cmd, timeoutMs) =>
      this.bus.request(
        Rpcs.execInReplica(replica.cluster),
        { replicaId: replica.replicaId, cmd, timeoutMs: Math.round(timeoutMs) },
        { timeout: timeoutMs + 5_000 },
      );
  }
}

/**
 * Whether a failed check counts toward healthcheck_max_consecutive_failures. Before a replica's
 * first success it is checked far more often than its interval (to route it sooner), but those
 * extra checks must not make it unhealthy sooner: a replica still starting would fail its 3
 * checks within 30 ms. Their failures count one per interval, as if checked at it.
 */
export function countsAsFailure(w: Pick<Watched, 'healthy' | 'countedAt'>, interval: number): boolean {
  if (w.healthy !== undefined) return true;
  const now = Date.now();
  if (w.countedAt !== undefined && now - w.countedAt < interval) return false;
  w.countedAt = now;
  return true;
}

/** service/cluster/instance: how instances are keyed in monitor_spec and in memory. */
export function instanceKeyOf(s: { service: string; cluster: string; instance: string }): string {
  return `${s.service}/${s.cluster}/${s.instance}`;
}
