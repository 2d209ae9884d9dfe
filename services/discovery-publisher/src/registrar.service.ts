import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { Registration, ReplicaRef, Subjects } from '@orzo/contracts';
import { settleWithin } from '@orzo/platform';
import { Registry } from './registry';

/**
 * The registrar: the one discovery-publisher of the cluster (ORZO_DISCOVERY_REGISTRAR) that
 * turns instance health into the shared registry. A healthy replica is added under each of its
 * registrations, an unhealthy or stopped one removed, and each change is announced
 * (DiscoveryEndpointsChanged). It does not touch HAProxy: every host's HostProxyService, this
 * host's included, follows the registry into its own HAProxy. One writer, so the registry's
 * read-modify-write of an endpoint list never races with another host's.
 */
@Injectable()
export class RegistrarService implements OnApplicationBootstrap, OnApplicationShutdown {
  private registry?: Registry;
  private opening?: Promise<Registry>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly bus: BusService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.open();
  }

  /** The registry, read from KV once; an event handled before this provider's bootstrap hook waits for it too. */
  private open(): Promise<Registry> {
    this.opening ??= Registry.open(this.bus.connection).then(
      (r) => (this.registry = r),
      (err: unknown) => {
        this.opening = undefined; // the next event tries again
        throw err;
      },
    );
    return this.opening;
  }

  async onApplicationShutdown(): Promise<void> {
    // A change in hand is finished if it can be; the consumer redelivers what was not acked.
    await settleWithin(this.queue, 2_000);
  }

  /** Serialises every change: an endpoint list is read, changed and written whole. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = () => this.open().then(fn);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  setFrontends(registrations: readonly Registration[]): Promise<void> {
    return this.serial(async () => {
      for (const r of registrations) if (r.proxyPort > 0) await this.registry!.setFrontend(r);
    });
  }

  healthy(replica: ReplicaRef, registrations: string[], at: string): Promise<void> {
    return this.serial(async () => {
      if (!(await this.registry!.isNewer(replica.replicaId, at))) return;
      for (const registration of registrations) {
        if (
          await this.registry!.put(registration, {
            host: replica.host,
            port: replica.port,
            replicaId: replica.replicaId,
            weight: this.registry!.weightOf(registration, replica.cluster, replica.instance),
            since: at,
            ...(replica.bridgeIp && replica.bridgePort ? { bridgeIp: replica.bridgeIp, bridgePort: replica.bridgePort } : {}),
          })
        ) {
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
      for (const registration of await this.registry!.removeReplica(replica.replicaId)) await this.announce(registration);
    });
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
