import { KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { DiscoveryRegistry, Registration, RegistryEndpoint, RegistryKey } from '@orzo/contracts';

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

  async putEndpoints(registration: string, endpoints: readonly RegistryEndpoint[]): Promise<void> {
    await this.kv.put(DiscoveryRegistry.endpointsKey(registration), DiscoveryRegistry.encodeEndpoints(endpoints));
  }

  async putFrontend(reg: Registration): Promise<void> {
    await this.kv.put(DiscoveryRegistry.frontendKey(reg.name), DiscoveryRegistry.encodeFrontend(reg));
  }

  async putSeen(replicaId: string, at: string): Promise<void> {
    await this.kv.put(DiscoveryRegistry.seenKey(replicaId), at);
  }

  /** Every live entry of the registry, decoded (keys this version does not know are skipped). */
  async *entries(): AsyncGenerator<RegistryEntryValue> {
    for await (const key of await this.kv.keys()) {
      const parsed: RegistryKey | undefined = DiscoveryRegistry.parseKey(key);
      if (!parsed) continue;
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      if (parsed.kind === 'endpoints') yield { ...parsed, endpoints: this.decodeEndpoints(key, entry.json()) };
      else if (parsed.kind === 'frontend') yield { ...parsed, frontend: DiscoveryRegistry.decodeFrontend(entry.json()) };
      else yield { ...parsed, at: entry.string() };
    }
  }

  private decodeEndpoints(key: string, raw: unknown): RegistryEndpoint[] {
    const decoded = DiscoveryRegistry.decodeEndpoints(raw);
    if (!decoded.ok) throw new Error(`discovery registry ${key} is not a list of endpoints: ${decoded.problems.join('; ')}`);
    return decoded.value;
  }
}
