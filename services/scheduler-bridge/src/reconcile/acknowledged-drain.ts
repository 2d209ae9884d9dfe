import { BusService, DiscoveryRegistryStore } from '@orzo/bus';
import { InstanceSpec, Rpcs } from '@orzo/contracts';
import type { Replica } from '../engine/engine';

/** Slack for a host's answer beyond the wait it was given (it answers at the deadline at the latest). */
const ANSWER_SLACK_MS = 500;

/**
 * Whether every route to the instance's replicas goes through the HAProxies Orzo programs: at
 * least one registration, each with a proxy port. Only then can the hosts confirm a drain;
 * otherwise someone else may route to the replica and the drain delay is waited in full.
 */
export function routedByHostProxies(spec: InstanceSpec): boolean {
  const proxied = new Set(spec.registrationDetails.filter((d) => d.proxyPort > 0).map((d) => d.name));
  return spec.registrations.length > 0 && spec.registrations.every((r) => proxied.has(r));
}

/**
 * The acknowledged drain: every host listed in the registry (each discovery-publisher lists
 * itself) is asked whether the replica is drained from its HAProxy (out of the registry it
 * follows, its slots in maintenance, no session open), each answering as soon as it is, at most
 * `withinMs` later. Drained only when every host said so; a host that does not answer (its
 * publisher down: its HAProxy may still route to the replica) or no host at all is not.
 */
export async function drainedEverywhere(
  bus: BusService,
  registry: DiscoveryRegistryStore,
  r: Pick<Replica, 'id' | 'host' | 'hostPort' | 'bridge'>,
  withinMs: number,
): Promise<{ drained: boolean; detail: string }> {
  if (!r.hostPort) return { drained: false, detail: 'the replica has no host port' };
  const hosts = await registry.hosts();
  if (!hosts.length) return { drained: false, detail: 'no host proxy listed in the registry' };
  const answers = await Promise.all(
    hosts.map((host) =>
      bus
        .request(
          Rpcs.proxyDrained(host),
          { replicaId: r.id, host: r.host, port: r.hostPort!, bridgeIp: r.bridge?.ip, bridgePort: r.bridge?.port, withinMs },
          { timeout: withinMs + ANSWER_SLACK_MS },
        )
        .catch((err: Error) => ({ drained: false, detail: `host ${host}: ${err.message}` })),
    ),
  );
  const waiting = answers.filter((a) => !a.drained);
  return waiting.length ? { drained: false, detail: waiting.map((a) => a.detail).join('; ') } : { drained: true, detail: `${hosts.length} host(s) confirmed` };
}
