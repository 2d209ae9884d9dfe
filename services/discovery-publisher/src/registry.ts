import { DiscoveryRegistryStore, NatsConnection } from '@orzo/bus';
import { Registration, RegistryEndpoint } from '@orzo/contracts';

/**
 * Told of a registration's new endpoint list just before it is written; returns what to call
 * with the written revision once stored (undefined when the write failed).
 */
export type BeforeWrite = (registration: string, endpoints: RegistryEndpoint[]) => (revision: number | undefined) => void;

/** The "last seen" of a retired replica: later than any event. */
const RETIRED = '9999-12-31T23:59:59.999Z';

/**
 * Writes of one KV key, one at a time, each writing the value as it is in memory when it goes
 * out. A write asked while another is in flight waits for it, and all asked meanwhile share
 * the next one. So the registrar never waits behind another change before issuing its writes
 * when no write of the same key is in flight, and a write retried inside the client (JetStream
 * away for a moment) can never land after a newer value of its key.
 */
class KeyWrites {
  private readonly lanes = new Map<string, { last: Promise<unknown>; next?: Promise<number> }>();

  /** Resolves with the revision of a write that went out after this call. */
  write(key: string, put: () => Promise<number>): Promise<number> {
    let lane = this.lanes.get(key);
    if (lane?.next) return lane.next;
    if (!lane) this.lanes.set(key, (lane = { last: Promise.resolve() }));
    const l = lane;
    const run = () => {
      l.next = undefined; // from here on, a change needs a write of its own
      return put();
    };
    const next = l.last.then(run, run);
    const settled = next.catch(() => undefined);
    l.next = next;
    l.last = settled;
    void settled.then(() => {
      if (l.last === settled && !l.next) this.lanes.delete(key);
    });
    return next;
  }
}

/**
 * The registry of healthy endpoints per registration (service.namespace) and of the frontends
 * to serve, kept in memory and persisted in the NATS KV bucket `orzo_discovery` (keys and
 * shapes: DiscoveryRegistry in @orzo/contracts, through DiscoveryRegistryStore), so every
 * host's discovery-publisher (and a restarted one) sees the same endpoints.
 */
export class Registry {
  readonly frontends = new Map<string, Registration>();
  readonly endpoints = new Map<string, Map<string, RegistryEndpoint>>();
  /** Last event time per replica (stopped ones included), so an older event never wins. */
  private readonly lastSeen = new Map<string, string>();
  /** Registrations whose last write failed: written again at their next change or retry. */
  private readonly unsaved = new Set<string>();
  private readonly writes = new KeyWrites();

  private constructor(
    private readonly store: DiscoveryRegistryStore,
    private readonly beforeWrite?: BeforeWrite,
  ) {}

  static async open(nc: NatsConnection, beforeWrite?: BeforeWrite): Promise<Registry> {
    const store = await DiscoveryRegistryStore.open(nc);
    const registry = new Registry(store, beforeWrite);
    for await (const entry of store.entries()) {
      if (entry.kind === 'frontend') registry.frontends.set(entry.registration, entry.frontend);
      // The latest of a replica's mark and its listings' `since`, in whatever order the keys come.
      if (entry.kind === 'seen') registry.see(entry.replicaId, entry.at);
      if (entry.kind === 'endpoints') {
        registry.endpoints.set(entry.registration, new Map(entry.endpoints.map((e) => [e.replicaId, e])));
        for (const e of entry.endpoints) registry.see(e.replicaId, e.since);
      }
    }
    return registry;
  }

  /** Records a frontend; true when it is new or changed. */
  async setFrontend(given: Registration): Promise<boolean> {
    const before = this.frontends.get(given.name);
    // Each deploy carries its own instances' weights: keep the other instances' ones.
    const reg = { ...given, instanceWeights: { ...before?.instanceWeights, ...given.instanceWeights } };
    if (before && JSON.stringify(Registration.toJSON(before)) === JSON.stringify(Registration.toJSON(reg))) return false;
    this.frontends.set(reg.name, reg);
    await this.store.putFrontend(reg);
    return true;
  }

  /**
   * Whether an event of `at` about this replica is newer than what is known (then remembered, in
   * memory). The caller writes the mark with persistSeen (or retire) before its event is acked:
   * after a restart, a replayed older event must not resurrect a stopped replica.
   */
  observe(replicaId: string, at: string): boolean {
    const seen = this.lastSeen.get(replicaId);
    if (seen && seen > at) return false;
    this.lastSeen.set(replicaId, at);
    return true;
  }

  /** Whether the replica was retired: it must not be listed anywhere. */
  isRetired(replicaId: string): boolean {
    return this.lastSeen.get(replicaId) === RETIRED;
  }

  private see(replicaId: string, at: string): void {
    const seen = this.lastSeen.get(replicaId);
    if (!seen || at > seen) this.lastSeen.set(replicaId, at);
  }

  /** Writes the replica's mark: the latest known when the write goes out (`at`, or later, or retired). */
  async persistSeen(replicaId: string, at: string): Promise<void> {
    await this.writes.write(`seen.${replicaId}`, () => this.store.putSeen(replicaId, this.lastSeen.get(replicaId) ?? at));
  }

  /**
   * A replica that is out for good (drained for a bounce, or stopped): no later event brings it
   * back. After a restart monitor-bridge checks every replica it knows afresh and announces the
   * healthy ones again, a draining one included; routing to it then would fail its requests.
   */
  async retire(replicaId: string): Promise<void> {
    this.lastSeen.set(replicaId, RETIRED);
    await this.persistSeen(replicaId, RETIRED);
  }

  /** The weight of an instance's replicas in a registration (soa-configs `weight`, default 10). */
  weightOf(registration: string, cluster: string, instance: string): number {
    return this.frontends.get(registration)?.instanceWeights[`${cluster}.${instance}`] ?? 10;
  }

  /**
   * Adds (or moves, or reweighs) a replica under a registration, in memory; true when the list
   * changed, or its last write failed: then `persist` it (the change is lost on a restart until then).
   */
  add(registration: string, entry: RegistryEndpoint): boolean {
    const map = this.endpoints.get(registration) ?? new Map<string, RegistryEndpoint>();
    const had = map.get(entry.replicaId);
    if (
      had &&
      had.host === entry.host &&
      had.port === entry.port &&
      had.weight === entry.weight &&
      had.bridgeIp === entry.bridgeIp &&
      had.bridgePort === entry.bridgePort
    )
      return this.unsaved.has(registration);
    map.set(entry.replicaId, entry);
    this.endpoints.set(registration, map);
    return true;
  }

  /** Removes a replica from every registration, in memory; the registrations to `persist` (changed, or not yet saved). */
  drop(replicaId: string): string[] {
    const changed: string[] = [];
    for (const [registration, map] of this.endpoints) if (map.delete(replicaId) || this.unsaved.has(registration)) changed.push(registration);
    return changed;
  }

  /**
   * Writes a registration's list as it is in memory (when a write of it is in flight: after it,
   * as it is then). `beforeWrite` (the registrar's own host routing it at once) hears of it
   * first, synchronously, and of the written revision after (undefined: failed).
   */
  async persist(registration: string): Promise<void> {
    const written = this.beforeWrite?.(registration, this.list(registration));
    try {
      const revision = await this.writes.write(`endpoints.${registration}`, async () => {
        try {
          const rev = await this.store.putEndpoints(registration, this.list(registration));
          this.unsaved.delete(registration);
          return rev;
        } catch (err) {
          this.unsaved.add(registration);
          throw err;
        }
      });
      written?.(revision);
    } catch (err) {
      written?.(undefined);
      throw err;
    }
  }

  list(registration: string): RegistryEndpoint[] {
    return [...(this.endpoints.get(registration)?.values() ?? [])].sort((a, b) => a.replicaId.localeCompare(b.replicaId));
  }
}
