import { KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { DiscoveryRegistry, Registration, RegistryEndpoint, RegistryKey } from '@orzo/contracts';

/**
 * A change of the registry's routing state seen by a watch: a registration's endpoints (a
 * deleted key counts as none), a frontend (undefined when deleted), or a value that does not
 * decode (the previous one should be kept).
 */
export type RegistryChange =
  | { kind: 'endpoints'; registration: string; endpoints: RegistryEndpoint[]; revision: number }
  | { kind: 'frontend'; registration: string; frontend: Registration | undefined; revision: number }
  | { kind: 'invalid'; key: string; problem: string; revision: number };

export interface RegistryWatch {
  changes: AsyncIterable<RegistryChange>;
  stop(): void;
}

export type RegistryEntryValue =
  | { kind: 'endpoints'; registration: string; endpoints: RegistryEndpoint[] }
  | { kind: 'frontend'; registration: string; frontend: Registration }
  | { kind: 'seen'; replicaId: string; at: string };

/**
 * Typed access to the discovery registry in NATS KV (keys and shapes: DiscoveryRegistry in
 * @orzo/contracts). discovery-publisher writes through it, scheduler-bridge reads through it,
 * so both sides agree on one declared shape. Opening creates the bucket when it is missing.
 */
export class DiscoveryRegistryStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<DiscoveryRegistryStore> {
    return new DiscoveryRegistryStore(await new Kvm(nc).create(DiscoveryRegistry.bucket, { history: DiscoveryRegistry.history }));
  }

  /** The endpoints registered under a registration (service.namespace); [] when none. */
  async endpoints(registration: string): Promise<RegistryEndpoint[]> {
    const entry = await this.kv.get(DiscoveryRegistry.endpointsKey(registration));
    if (!entry || entry.operation !== 'PUT') return [];
    return this.decodeEndpoints(DiscoveryRegistry.endpointsKey(registration), entry.json());
  }

  /** Writes a registration's endpoints; resolves with the entry's revision. */
  putEndpoints(registration: string, endpoints: readonly RegistryEndpoint[]): Promise<number> {
    return this.kv.put(DiscoveryRegistry.endpointsKey(registration), DiscoveryRegistry.encodeEndpoints(endpoints));
  }

  async putFrontend(reg: Registration): Promise<void> {
    await this.kv.put(DiscoveryRegistry.frontendKey(reg.name), DiscoveryRegistry.encodeFrontend(reg));
  }

  /** Writes a replica's last-seen mark; resolves with the entry's revision. */
  putSeen(replicaId: string, at: string): Promise<number> {
    return this.kv.put(DiscoveryRegistry.seenKey(replicaId), at);
  }

  /**
   * Records a host whose HAProxy follows the registry, as of `at` (each publisher at its start
   * and every DiscoveryRegistry.hostRefreshMs after).
   */
  async putHost(hostId: string, at: string): Promise<void> {
    await this.kv.put(DiscoveryRegistry.hostKey(hostId), at);
  }

  /**
   * The hosts whose HAProxy follows the registry (their host tokens), refreshed within
   * `maxAgeMs`: the ones that confirm a drain. A host that stopped refreshing its key (gone for
   * good, or its publisher down that long) is left out, so no drain waits for it.
   */
  async hosts(maxAgeMs: number = DiscoveryRegistry.hostMaxAgeMs, now = Date.now()): Promise<string[]> {
    return (await this.hostKeys())
      .filter((h) => DiscoveryRegistry.isLiveHost(h.at, now, maxAgeMs))
      .map((h) => h.host)
      .sort();
  }

  /**
   * Deletes the host keys not refreshed for `olderThanMs`; a key refreshed meanwhile is kept (the
   * delete is conditional on the revision read). Returns the host tokens deleted.
   */
  async forgetHosts(olderThanMs: number, now = Date.now()): Promise<string[]> {
    const forgotten: string[] = [];
    for (const h of await this.hostKeys()) {
      if (DiscoveryRegistry.isLiveHost(h.at, now, olderThanMs)) continue;
      try {
        await this.kv.delete(DiscoveryRegistry.hostKey(h.host), { previousSeq: h.revision });
        forgotten.push(h.host);
      } catch {
        // refreshed (or deleted) meanwhile: its owner is back, or another publisher forgot it
      }
    }
    return forgotten;
  }

  private async hostKeys(): Promise<Array<{ host: string; at: string; revision: number }>> {
    const hosts: string[] = [];
    for await (const key of await this.kv.keys('host.*')) {
      const parsed = DiscoveryRegistry.parseKey(key);
      if (parsed?.kind === 'host') hosts.push(parsed.host);
    }
    const entries = await Promise.all(hosts.map((host) => this.kv.get(DiscoveryRegistry.hostKey(host)).then((entry) => ({ host, entry }))));
    return entries.flatMap(({ host, entry }) => (entry?.operation === 'PUT' ? [{ host, at: entry.string(), revision: entry.revision }] : []));
  }

  /** Every live entry of the registry, decoded (keys this version does not know are skipped). */
  async *entries(): AsyncGenerator<RegistryEntryValue> {
    for await (const key of await this.kv.keys()) {
      const parsed: RegistryKey | undefined = DiscoveryRegistry.parseKey(key);
      if (!parsed || parsed.kind === 'host') continue;
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      if (parsed.kind === 'endpoints') yield { ...parsed, endpoints: this.decodeEndpoints(key, entry.json()) };
      else if (parsed.kind === 'frontend') yield { ...parsed, frontend: DiscoveryRegistry.decodeFrontend(entry.json()) };
      else yield { ...parsed, at: entry.string() };
    }
  }

  /**
   * Follows the frontends and endpoints: first the current value of every key, then each
   * change as it is written, in the bucket's order. A watch opened again later starts with
   * the current values again, so a follower that was away catches up on the state, not on
   * the history. `seen.*` keys are not routing state and are skipped.
   */
  async watch(): Promise<RegistryWatch> {
    const iter = await this.kv.watch({ key: '>' });
    const decode = this.decodeChange.bind(this);
    async function* changes(): AsyncGenerator<RegistryChange> {
      for await (const e of iter) {
        const change = decode(e.key, e.operation, e.revision, () => e.json());
        if (change) yield change;
      }
    }
    return { changes: changes(), stop: () => iter.stop() };
  }

  private decodeChange(key: string, operation: string, revision: number, json: () => unknown): RegistryChange | undefined {
    const parsed = DiscoveryRegistry.parseKey(key);
    if (!parsed || parsed.kind === 'seen' || parsed.kind === 'host') return undefined;
    const deleted = operation !== 'PUT';
    try {
      if (parsed.kind === 'endpoints') return { ...parsed, endpoints: deleted ? [] : this.decodeEndpoints(key, json()), revision };
      return { ...parsed, frontend: deleted ? undefined : DiscoveryRegistry.decodeFrontend(json()), revision };
    } catch (err) {
      return { kind: 'invalid', key, problem: (err as Error).message, revision };
    }
  }

  private decodeEndpoints(key: string, raw: unknown): RegistryEndpoint[] {
    const decoded = DiscoveryRegistry.decodeEndpoints(raw);
    if (!decoded.ok) throw new Error(`discovery registry ${key} is not a list of endpoints: ${decoded.problems.join('; ')}`);
    return decoded.value;
  }
}
