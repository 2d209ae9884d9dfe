import { NatsConnection, connect } from '@nats-io/transport-node';
import type { Logger } from '@orzo/platform';

export type { NatsConnection } from '@nats-io/transport-node';

/**
 * Connects with unlimited reconnects: a service outlives a NATS restart. The first connect
 * also waits for the server, so services may start before NATS does.
 */
export async function connectNats(url: string, name: string, logger?: Logger): Promise<NatsConnection> {
  const { servers, auth, shown } = natsServers(url);
  const waiting = logger ? setInterval(() => logger.warn({ url: shown }, `waiting for NATS at ${shown}`), 3_000) : undefined;
  const nc = await connect({
    servers,
    ...auth,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
  }).finally(() => clearInterval(waiting));
  if (logger) void logStatus(nc, logger);
  return nc;
}

async function logStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
      logger.warn({ nats: s.type, server: 'server' in s ? s.server : undefined }, `nats ${s.type}`);
    }
  }
}

/**
 * The servers of ORZO_NATS_URL and the credentials written in it, for a shared NATS with users:
 * `nats://user:password@host:4222` (user and password) or `nats://token@host:4222` (a token).
 * nats.js does not read credentials from a URL, so they are taken out and passed as options;
 * `shown` is the URL with the secret masked, for logs.
 */
export function natsServers(url: string): { servers: string[]; auth: { user?: string; pass?: string; token?: string }; shown: string } {
  const auth: { user?: string; pass?: string; token?: string } = {};
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .map((s) => {
      const m = /^([a-z]+:\/\/)([^@/\s]+)@(.+)$/.exec(s);
      if (!m) return s;
      const [user, pass] = m[2]!.split(':').map(decodeURIComponent);
      if (pass === undefined) auth.token = user;
      else Object.assign(auth, { user, pass });
      return `${m[1]}${m[3]}`;
    });
  const shown = url.replace(/\/\/([^@/:\s]+)(:[^@/\s]*)?@/g, (_all, user: string, pass?: string) => (pass ? `//${user}:***@` : '//***@'));
  return { servers, auth, shown };
}
