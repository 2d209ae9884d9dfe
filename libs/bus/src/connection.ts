import { NatsConnection, connect } from '@nats-io/transport-node';
import type { Logger } from '@orzo/platform';

export type { NatsConnection } from '@nats-io/transport-node';

/**
 * Connects with unlimited reconnects: a service outlives a NATS restart. The first connect
 * also waits for the server, so services may start before NATS does.
 */
export async function connectNats(url: string, name: string, logger?: Logger): Promise<NatsConnection> {
  const waiting = logger ? setInterval(() => logger.warn({ url }, `waiting for NATS at ${url}`), 3_000) : undefined;
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()),
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
