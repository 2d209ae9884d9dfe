import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

/** The variables discovery-publisher reads besides the base ones. */
export const discoveryPublisherConfigShape = {
  ORZO_HAPROXY_BIN: z.string().min(1).default('haproxy'),
  /** Where the HAProxy config and stats socket live; default <ORZO_DATA_DIR>/haproxy. */
  ORZO_HAPROXY_DIR: z.string().min(1).optional(),
  /** This host's name in logs and /health (one discovery-publisher runs per host); default the hostname. */
  ORZO_HOST_ID: z
    .string()
    .regex(/^\S{1,253}$/, 'expected a host name (no spaces, at most 253 characters)')
    .default(hostname() || 'localhost'),
  /** The address this host's HAProxy binds every frontend on: 127.0.0.1 on one machine, 0.0.0.0 or the host's IP on N hosts. */
  ORZO_PROXY_BIND: z
    .string()
    .refine((v) => isIP(v) === 4, 'expected an IPv4 address such as 127.0.0.1 or 0.0.0.0')
    .default('127.0.0.1'),
  /**
   * Whether this publisher is the registrar: the one that consumes the instance events and
   * writes the shared registry. Exactly one per cluster; the others only follow the registry
   * into their HAProxy (see docs/operations.md, "Running Orzo on N hosts").
   */
  ORZO_DISCOVERY_REGISTRAR: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /**
   * Whether HAProxy routes to a replica of this host at its bridge-network address (container
   * IP and port) instead of its published port on 127.0.0.1, which goes through Docker's
   * userland proxy (docker-proxy): one hop and one connection less per request.
   */
  ORZO_PROXY_BRIDGE_ADDRESSES: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
};

export type DiscoveryPublisherConfig = ServiceConfig<typeof discoveryPublisherConfigShape>;
