import { Kvm, KV } from '@nats-io/kv';
import type { NatsConnection } from '@orzo/bus';
import { DiscoveryRegistry, Endpoint, Registration } from '@orzo/contracts';

export interface RegistryEntry extends Endpoint {
  /** occurredAt of the event that put it there. */
  since: string;
}

/**
 * The registry of healthy endpoints per registration (service.namespace) and of the frontends
 * to serve, kept in memory and persisted in the NATS KV bucket `orzo_discovery`, so every
 * host's discovery-publisher (and a restarted one) sees the same endpoints.
 */
export class Registry {
  readonly frontends = new Map<string, Registration>();
  readonly endpoints = new Map<string, Map<string, RegistryEntry>>();
  /** Last event time per replica (stopped ones included), so an older event never wins. */
  private readonly lastSeen = new Map<string, string>();

  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<Registry> {
    const kv = await new Kvm(nc).create(DiscoveryRegistry.bucket, { history: DiscoveryRegistry.history });
    const registry = new Registry(kv);
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      const [kind, ...rest] = key.split('.');
      const name = rest.join('.');
      if (kind === 'frontend') registry.frontends.set(name, Registration.fromJSON(entry.json()));
      if (kind === 'seen') registry.lastSeen.set(name, entry.string());
      if (kind === 'endpoints') {
        const list = entry.json<RegistryEntry[]>();
        registry.endpoints.set(name, new Map(list.map((e) => [e.replicaId, e])));
        for (const e of list) registry.lastSeen.set(e.replicaId, e.since);
      }
    }
    return registry;
  }

  /** Records a frontend; true when it is new or changed. */
  async setFrontend(reg: Registration): Promise<boolean> {
    const before = this.frontends.get(reg.name);
    if (before && JSON.stringify(Registration.toJSON(before)) === JSON.stringify(Registration.toJSON(reg))) return false;
    this.frontends.set(reg.name, reg);
    await this.kv.put(DiscoveryRegistry.frontendKey(reg.name), JSON.stringify(Registration.toJSON(reg)));
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
    await this.kv.put(DiscoveryRegistry.seenKey(replicaId), at);
    return true;
  }

  /** Adds or removes a replica under a registration; the registrations whose endpoints changed. */
  async put(registration: string, entry: RegistryEntry): Promise<boolean> {
    const map = this.endpoints.get(registration) ?? new Map<string, RegistryEntry>();
    const had = map.get(entry.replicaId);
    if (had && had.host === entry.host && had.port === entry.port) return false;
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

  list(registration: string): RegistryEntry[] {
    return [...(this.endpoints.get(registration)?.values() ?? [])].sort((a, b) => a.replicaId.localeCompare(b.replicaId));
  }

  private async persist(registration: string): Promise<void> {
    await this.kv.put(DiscoveryRegistry.endpointsKey(registration), JSON.stringify(this.list(registration)));
  }
}
