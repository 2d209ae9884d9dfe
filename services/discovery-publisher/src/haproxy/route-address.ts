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
  const local = e.host === 'localhost' || e.host.startsWith('127.');
  if (useBridge && local && e.bridgeIp && e.bridgePort && isIPv4(e.bridgeIp)) {
    const ip = toInt(e.bridgeIp);
    if (nets.some((n) => (ip & n.mask) >>> 0 === n.net)) return { host: e.bridgeIp, port: e.bridgePort };
  }
  return { host: e.host, port: e.port };
}
