import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RegistryEndpoint } from '@orzo/contracts';

/** An IPv4 network one of this host's interfaces is on (address and mask as 32-bit numbers). */
export interface LocalNetwork {
  net: number;
  mask: number;
}

const toInt = (ip: string) => ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);

/** The IPv4 networks of this host's non-loopback interfaces (docker0, a Docker user network's bridge, eth0...). */
export function localNetworks(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): LocalNetwork[] {
  const nets: LocalNetwork[] = [];
  for (const addresses of Object.values(interfaces)) {
    for (const a of addresses ?? []) {
      if (a.family !== 'IPv4' || a.internal || !a.cidr) continue;
      const bits = Number(a.cidr.split('/')[1]);
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      nets.push({ net: (toInt(a.address) & mask) >>> 0, mask });
    }
  }
  return nets;
}

/** Whether a replica's published host is this host's loopback (a `docker` cluster's engine shares this host's network). */
const isLoopback = (host: string) => host === 'localhost' || host.startsWith('127.');

const onNetwork = (ip: string, nets: readonly LocalNetwork[]) => {
  const n32 = toInt(ip);
  return nets.some((n) => (n32 & n.mask) >>> 0 === n.net);
};

/**
 * This host's networks, read once and kept: reading them (getifaddrs) took 0.6 ms on a loaded
 * 2-core machine, on the path of every slot change. Read again when the reading is older than
 * `maxAgeMs`, or when the bridge address of a replica published on this host is on none of
 * them (a Docker network created since).
 */
export class LocalNetworkCache {
  private nets: LocalNetwork[] = [];
  private readAt = -Infinity;

  constructor(
    private readonly read: () => LocalNetwork[] = () => localNetworks(),
    private readonly maxAgeMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The networks to route these endpoints by (routeAddress). */
  for(endpoints: Iterable<Pick<RegistryEndpoint, 'host' | 'bridgeIp'>>): readonly LocalNetwork[] {
    const unknown = () => [...endpoints].some((e) => isLoopback(e.host) && e.bridgeIp && isIPv4(e.bridgeIp) && !onNetwork(e.bridgeIp, this.nets));
    if (this.now() - this.readAt > this.maxAgeMs || unknown()) {
      this.nets = this.read();
      this.readAt = this.now();
    }
    return this.nets;
  }
}

/**
 * Where this host's HAProxy sends an endpoint's requests. Its bridge-network address (container
 * IP and port) when it has one and the replica runs on this host: its published address is a
 * loopback one (a `docker` cluster's engine shares this host's network; a Swarm replica is
 * published on its node's address) and the bridge IP is on a network of one of this host's
 * interfaces (the engine's bridge). That skips the published port's userland proxy
 * (docker-proxy): one process hop and one TCP connection less per request. Otherwise, and
 * with `useBridge` false, its published host:port.
 */
export function routeAddress(
  e: Pick<RegistryEndpoint, 'host' | 'port' | 'bridgeIp' | 'bridgePort'>,
  nets: readonly LocalNetwork[],
  useBridge = true,
): { host: string; port: number } {
  if (useBridge && isLoopback(e.host) && e.bridgeIp && e.bridgePort && isIPv4(e.bridgeIp) && onNetwork(e.bridgeIp, nets))
    return { host: e.bridgeIp, port: e.bridgePort };
  return { host: e.host, port: e.port };
}
