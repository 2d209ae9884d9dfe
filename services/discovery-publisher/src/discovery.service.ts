import { join } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { Registration, ReplicaRef, Subjects } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger, SERVICE_CONFIG, settleWithin } from '@orzo/platform';
import type { DiscoveryPublisherConfig } from './config';
import { SLOTS } from './haproxy/haproxy-config';
import { HaproxyProcess } from './haproxy/haproxy-process';
import { HaproxyWatchdog } from './haproxy/haproxy-watchdog';
import { Registry } from './registry';

/**
 * Keeps the registry and the local HAProxy in step with instance health: a healthy replica is
 * put in a free server slot of each of its registrations' backends (`set server addr` + `state
 * ready`, no reload); an unhealthy or stopped one is put in maintenance. Frontend changes
 * reload HAProxy, after which every slot is applied again.
 */
@Injectable()
export class DiscoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private registry?: Registry;
  private haproxy: HaproxyProcess;
  private readonly watchdog: HaproxyWatchdog;
  /** backend -> replicaId -> slot number */
  private readonly slots = new Map<string, Map<string, number>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(SERVICE_CONFIG) config: DiscoveryPublisherConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly bus: BusService,
    private readonly health: HealthRegistry,
  ) {
    this.haproxy = new HaproxyProcess(config.ORZO_HAPROXY_DIR ?? join(config.ORZO_DATA_DIR, 'haproxy'), config.ORZO_HAPROXY_BIN, logger);
    this.watchdog = new HaproxyWatchdog(
      this.haproxy,
      logger,
      () => (this.registry?.frontends.size ?? 0) > 0,
      () => this.serial(() => this.reconfigure()),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.registry = await Registry.open(this.bus.connection);
    await this.reconfigure();
    this.watchdog.start();
    this.health.register('haproxy', async () => {
      if (this.registry!.frontends.size === 0) return { ok: true, detail: 'no frontends yet' };
      const servers = await this.haproxy.runtime.servers();
      return { ok: true, detail: `${new Set(servers.map((s) => s.backend)).size} backends` };
    });
  }

  /** HAProxy keeps serving while the publisher is away; the next one adopts it. */
  async onApplicationShutdown(): Promise<void> {
    this.watchdog.stop();
    // A change in hand is finished if it can be; the next start re-applies the registry anyway.
    await settleWithin(this.queue, 2_000);
  }

  /** Serialises every change: HAProxy slots are shared state. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  setFrontends(registrations: readonly Registration[]): Promise<void> {
    return this.serial(async () => {
      let changed = false;
      for (const r of registrations) if (r.proxyPort > 0) changed = (await this.registry!.setFrontend(r)) || changed;
      if (changed) await this.reconfigure();
    });
  }

  healthy(replica: ReplicaRef, registrations: string[], at: string): Promise<void> {
    return this.serial(async () => {
      if (!(await this.registry!.isNewer(replica.replicaId, at))) return;
      for (const registration of registrations) {
        if (await this.registry!.put(registration, { host: replica.host, port: replica.port, replicaId: replica.replicaId, weight: 10, since: at })) {
          await this.applySlot(registration, replica.replicaId);
          await this.announce(registration);
        }
      }
    });
  }

  /** Out of rotation; `final` when the replica never comes back (drained or stopped). */
  gone(replica: ReplicaRef, at: string, final = false): Promise<void> {
    return this.serial(async () => {
      if (!(await this.registry!.isNewer(replica.replicaId, at))) return;
      if (final) await this.registry!.retire(replica.replicaId);
      for (const registration of await this.registry!.removeReplica(replica.replicaId)) {
        await this.clearSlot(registration, replica.replicaId);
        await this.announce(registration);
      }
    });
  }

  private async reconfigure(): Promise<void> {
    const reloaded = await this.haproxy.apply([...this.registry!.frontends.values()]);
    if (!reloaded) return;
    this.slots.clear();
    for (const registration of this.registry!.frontends.keys()) {
      for (const e of this.registry!.list(registration)) await this.applySlot(registration, e.replicaId);
      // An adopted HAProxy may still route to replicas that left while the publisher was away.
      const used = new Set(this.slots.get(registration)?.values() ?? []);
      const stale = Array.from({ length: SLOTS }, (_, i) => i + 1).filter((i) => !used.has(i));
      if (stale.length) await this.haproxy.runtime.command(stale.map((i) => `set server ${registration}/slot${i} state maint`).join('; '));
    }
  }

  private async applySlot(registration: string, replicaId: string): Promise<void> {
    if (!this.registry!.frontends.has(registration)) return; // discovery only, or frontend not known yet
    const entry = this.registry!.endpoints.get(registration)?.get(replicaId);
    if (!entry) return;
    const slots = this.slots.get(registration) ?? new Map<string, number>();
    this.slots.set(registration, slots);
    let slot = slots.get(replicaId);
    if (slot === undefined) {
      const used = new Set(slots.values());
      slot = Array.from({ length: SLOTS }, (_, i) => i + 1).find((i) => !used.has(i));
      if (slot === undefined) {
        this.logger.error({ registration }, `all ${SLOTS} server slots are in use; endpoint not routed`);
        return;
      }
      slots.set(replicaId, slot);
    }
    await this.haproxy.runtime.command(
      `set server ${registration}/slot${slot} addr ${entry.host} port ${entry.port}; set server ${registration}/slot${slot} state ready`,
    );
  }

  private async clearSlot(registration: string, replicaId: string): Promise<void> {
    const slots = this.slots.get(registration);
    const slot = slots?.get(replicaId);
    if (slot === undefined) return;
    slots!.delete(replicaId);
    await this.haproxy.runtime.command(`set server ${registration}/slot${slot} state maint`);
  }

  private async announce(registration: string): Promise<void> {
    const endpoints = this.registry!.list(registration).map(({ host, port, replicaId, weight }) => ({ host, port, replicaId, weight }));
    await this.bus.publish(Subjects.DiscoveryEndpointsChanged, {
      registration,
      endpoints,
      proxyPort: this.registry!.frontends.get(registration)?.proxyPort ?? 0,
    });
  }
}
