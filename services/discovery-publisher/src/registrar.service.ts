import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { Registration, ReplicaRef, Subjects } from '@orzo/contracts';
import { LOGGER, Logger, settleWithin } from '@orzo/platform';
import { HostProxyService } from './host-proxy.service';
import { Registry } from './registry';

/**
 * The registrar: the one discovery-publisher of the cluster (ORZO_DISCOVERY_REGISTRAR) that
 * turns instance health into the shared registry. A healthy replica is added under each of its
 * registrations, an unhealthy or stopped one removed, and each change is announced
 * (DiscoveryEndpointsChanged). Every host's HostProxyService follows the registry into its own
 * HAProxy; this host's is also handed each list just before it is written (routeAhead), so a
 * replica is routed here one NATS round trip sooner. One writer, so the registry's
 * read-modify-write of an endpoint list never races with another host's.
 *
 * Changes are not queued behind each other's writes: each is made in memory and its writes
 * issued at once, synchronously, in the order the events are handled. NATS keeps one
 * connection's publishes in order, so the KV stores each key's lists in that order, and every
 * list written holds the changes made before it: a write that fails is made good by the next
 * write of that list, or by the event's retry. So an `instance.healthy` is routed without
 * waiting for the writes of a drain announced just before it.
 */
@Injectable()
export class RegistrarService implements OnApplicationBootstrap, OnApplicationShutdown {
  private registry?: Registry;
  private opening?: Promise<Registry>;
  /** Changes whose writes are in flight (a shutdown lets them finish). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly bus: BusService,
    private readonly hostProxy: HostProxyService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.open();
  }

  /** The registry, read from KV once; an event handled before this provider's bootstrap hook waits for it too. */
  private open(): Promise<Registry> {
    this.opening ??= Registry.open(this.bus.connection, (registration, endpoints) => this.hostProxy.routeAhead(registration, endpoints)).then(
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
    await settleWithin(Promise.allSettled(this.inFlight), 2_000);
  }

  /**
   * Runs a change on the open registry: its in-memory part and the start of its writes at
   * once (synchronously) when the registry is open, else as soon as it is.
   */
  private change<T>(fn: (registry: Registry) => Promise<T>): Promise<T> {
    const run = this.registry ? fn(this.registry) : this.open().then(fn);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run)).catch(() => undefined);
    return run;
  }

  setFrontends(registrations: readonly Registration[]): Promise<void> {
    return this.change(async (registry) => {
      for (const r of registrations) if (r.proxyPort > 0) await registry.setFrontend(r);
    });
  }

  /**
   * The replica's "last seen" mark and its endpoint lists are written at once, and each list is
   * announced as it is written: an event's handling waits for one round trip to NATS, not three
   * in a row. This host's HAProxy is told before the write (HostProxyService.routeAhead).
   * Everything is stored before the event is acked; a redelivery writes the same values again.
   */
  healthy(replica: ReplicaRef, registrations: string[], at: string): Promise<void> {
    const received = Date.now();
    return this.change(async (registry) => {
      if (!registry.observe(replica.replicaId, at)) return;
      const changed = registrations.filter((registration) =>
        registry.add(registration, {
          host: replica.host,
          port: replica.port,
          replicaId: replica.replicaId,
          weight: registry.weightOf(registration, replica.cluster, replica.instance),
          since: at,
          ...(replica.bridgeIp && replica.bridgePort ? { bridgeIp: replica.bridgeIp, bridgePort: replica.bridgePort } : {}),
        }),
      );
      const writes = Promise.all([registry.persistSeen(replica.replicaId, at), ...changed.map((r) => this.write(r))]);
      if (changed.length) this.logHops(replica.replicaId, at, received, writes);
      await writes;
    });
  }

  /**
   * Where the time from a replica's check passing to its route went, in ms after
   * `instance.healthy`'s own time: handed to this registrar (the event through JetStream),
   * routed by this host's HAProxy (its runtime API answered), stored in the registry.
   */
  private logHops(replicaId: string, at: string, received: number, writes: Promise<unknown>): void {
    const since = Date.parse(at);
    const routed = this.hostProxy.routing().then(() => Date.now());
    void Promise.all([routed, writes.then(() => Date.now())]).then(
      ([routedAt, storedAt]) =>
        this.logger.info({ replicaId, ms: { received: received - since, routed: routedAt - since, stored: storedAt - since } }, 'replica routed'),
      () => undefined, // a failed write or sync is reported where it fails
    );
  }

  /** Out of rotation; `final` when the replica never comes back (drained or stopped). */
  gone(replica: ReplicaRef, at: string, final = false): Promise<void> {
    return this.change(async (registry) => {
      // A retired replica still listed (its removal was cut short) is removed whatever the event's time.
      if (!registry.observe(replica.replicaId, at) && !registry.isRetired(replica.replicaId)) return;
      const changed = registry.drop(replica.replicaId);
      // A retired replica's mark supersedes the event's own time: one write, beside the removal.
      const mark = final ? registry.retire(replica.replicaId) : registry.persistSeen(replica.replicaId, at);
      await Promise.all([mark, ...changed.map((r) => this.write(r))]);
    });
  }

  /** A registration's list written to the registry and announced, both at once. */
  private async write(registration: string): Promise<void> {
    await Promise.all([this.registry!.persist(registration), this.announce(registration)]);
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
