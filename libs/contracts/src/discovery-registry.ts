import { z } from 'zod';
import { Registration } from './generated/orzo/events/v1/deploy';
import type { Endpoint } from './generated/orzo/events/v1/discovery';
import type { Checked } from './rpc/rpc-contract';

/** A healthy endpoint of a registration, as the registry keeps it. */
export interface RegistryEndpoint extends Endpoint {
  /** occurredAt of the event that put it there. */
  since: string;
  /**
   * The replica's address on its engine's bridge network (ReplicaRef.bridge_ip/bridge_port):
   * the HAProxy of the host that runs it routes there instead of `host:port`, without the
   * published port's userland proxy. Absent: only `host:port` reaches it.
   */
  bridgeIp?: string;
  bridgePort?: number;
}

/** What a key of the registry holds. */
export type RegistryKey =
  | { kind: 'endpoints'; registration: string }
  | { kind: 'frontend'; registration: string }
  | { kind: 'seen'; replicaId: string }
  | { kind: 'host'; host: string };

/** A host id as one token of a KV key or NATS subject (a host name's dots and anything unusual become '_'). */
export const hostToken = (hostId: string): string => hostId.replace(/[^A-Za-z0-9_-]/g, '_');

const endpointList = z.array(
  z.object({
    host: z.string(),
    port: z.number().int().min(0).max(65535),
    replicaId: z.string().min(1),
    weight: z.number(),
    since: z.string(),
    bridgeIp: z.string().optional(),
    bridgePort: z.number().int().min(1).max(65535).optional(),
  }),
);

/** A host key not refreshed for this long is a host gone (DiscoveryRegistry.hostMaxAgeMs). */
const HOST_MAX_AGE_MS = 10_000;

/**
 * The endpoint registry in NATS KV: discovery-publisher writes it, scheduler-bridge reads it
 * (a replica is UP in discovery when it is listed under its registration). Keys and value
 * shapes are declared here once, for both sides:
 *   endpoints.<service.namespace>  JSON list of RegistryEndpoint, sorted by replicaId
 *   frontend.<service.namespace>   JSON of Registration (proto3 JSON)
 *   seen.<replicaId>               the time of the last event seen about a replica
 *   host.<host token>              a host whose HAProxy follows the registry (hostToken of its
 *                                  ORZO_HOST_ID), and when its publisher last said so (ISO time,
 *                                  refreshed every hostRefreshMs): who must confirm a drain.
 *                                  Not refreshed for hostMaxAgeMs: the host is gone (isLiveHost).
 */
export const DiscoveryRegistry = {
  bucket: 'orzo_discovery',
  history: 5,
  endpointsKey: (registration: string) => `endpoints.${registration}`,
  frontendKey: (registration: string) => `frontend.${registration}`,
  seenKey: (replicaId: string) => `seen.${replicaId}`,
  hostKey: (hostId: string) => `host.${hostToken(hostId)}`,
  /** How often each discovery-publisher refreshes its host key. */
  hostRefreshMs: 2_000,
  /** A host key not refreshed for this long is a host gone: no drain waits for it. */
  hostMaxAgeMs: HOST_MAX_AGE_MS,
  /** A host key not refreshed for this long is deleted (the host is started again with a new one). */
  hostForgetMs: 3_600_000,

  /**
   * Whether a host key's value (its last refresh) is recent at `now`, within `maxAgeMs` (a few
   * refreshes: the publishers' and readers' clocks need only be that close). A value that is no
   * time is taken for live: a drain then asks that host, and waits for it if it does not answer.
   */
  isLiveHost(value: string, now: number, maxAgeMs = HOST_MAX_AGE_MS): boolean {
    const at = Date.parse(value);
    return Number.isNaN(at) || now - at <= maxAgeMs;
  },

  /** What a key holds, or undefined for a key this version does not know. */
  parseKey(key: string): RegistryKey | undefined {
    const dot = key.indexOf('.');
    const kind = key.slice(0, dot);
    const name = key.slice(dot + 1);
    if (dot <= 0 || !name) return undefined;
    if (kind === 'endpoints' || kind === 'frontend') return { kind, registration: name };
    if (kind === 'seen') return { kind, replicaId: name };
    if (kind === 'host') return { kind, host: name };
    return undefined;
  },

  encodeEndpoints: (list: readonly RegistryEndpoint[]): string => JSON.stringify(list),
  decodeEndpoints(raw: unknown): Checked<RegistryEndpoint[]> {
    const parsed = endpointList.safeParse(raw);
    if (parsed.success) return { ok: true, value: parsed.data };
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`) };
  },

  encodeFrontend: (reg: Registration): string => JSON.stringify(Registration.toJSON(reg)),
  decodeFrontend: (raw: unknown): Registration => Registration.fromJSON(raw),
} as const;
