import { DiscoveryRegistryStore, NatsConnection } from '@orzo/bus';
import { Registration, RegistryEndpoint } from '@orzo/contracts';

/** The "last seen" of a retired replica: later than any event. */
const RETIRED = '9999-12-31T23:59:59.999Z';

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

  private constructor(private readonly store: DiscoveryRegistryStore) {}

  static async open(nc: NatsConnection): Promise<Registry> {
    const store = await DiscoveryRegistryStore.open(nc);
    const registry = new Registry(store);
    for await (const entry of store.entries()) {
      if (entry.kind === 'frontend') registry.frontends.set(entry.registration, entry.frontend);
      if (entry.kind === 'seen') registry.lastSeen.set(entry.replicaId, entry.at);
      if (entry.kind === 'endpoints') {
        registry.endpoints.set(entry.registration, new Map(entry.endpoints.map((e) => [e.replicaId, e])));
        for (const e of entry.endpoints) registry.lastSeen.set(e.replicaId, e.since);
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
   * Whether an event of `at` about this replica is newer than what is known (then remembered,
   * durably: after a restart, a replayed older event must not resurrect a stopped replica).
   */
  async isNewer(replicaId: string, at: string): Promise<boolean> {
    const seen = this.lastSeen.get(replicaId);
    if (seen && seen > at) return false;
    this.lastSeen.set(replicaId, at);
    await this.store.putSeen(replicaId, at);
    return true;
  }

  /**
   * A replica that is out for good (drained for a bounce, or stopped): no later event brings it
   * back. After a restart monitor-bridge checks every replica it knows afresh and announces the
   * healthy ones again, a draining one included; routing to it then would fail its requests.
   */
  async retire(replicaId: string): Promise<void> {
    this.lastSeen.set(replicaId, RETIRED);
    await this.store.putSeen(replicaId, RETIRED);
  }

  /** The weight of an instance's replicas in a registration (soa-configs `weight`, default 10). */
  weightOf(registration: string, cluster: string, instance: string): number {
    return this.frontends.get(registration)?.instanceWeights[`${cluster}.${instance}`] ?? 10;
  }

  /** Adds or removes a replica under a registration; the registrations whose endpoints changed. */
  async put(registration: string, entry: RegistryEndpoint): Promise<boolean> {
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
      return false;
    map.set(entry.replicaId, entry);
    this.endpoints.set(registration, map);
    await this.persist(registration);
    return true;
  }

  async removeReplica(replicaId: string): Promise<string[]> {
    const changed: string[] = [];
    for (const [registration, map] of this.endpoints) {
      if (map.delete(replicaId)) {
        changed.push(registration);
        await this.persist(registration);
      }
    }
    return changed;
  }

  list(registration: string): RegistryEndpoint[] {
    return [...(this.endpoints.get(registration)?.values() ?? [])].sort((a, b) => a.replicaId.localeCompare(b.replicaId));
  }

  private async persist(registration: string): Promise<void> {
    await this.store.putEndpoints(registration, this.list(registration));
  }
}
