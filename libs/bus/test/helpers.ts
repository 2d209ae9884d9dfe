import { JetStreamClient, JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BuildRequested, Subjects } from '@orzo/contracts';
import { createLogger } from '@orzo/platform';
import { startNatsServer, NatsServerHandle } from '@orzo/testing';
import { ConsumerOptions, DurableConsumer, EventPublisher, NatsConnection, connectNats, ensureStreams } from '../src';

export interface BusRig {
  server: NatsServerHandle;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  publisher: EventPublisher;
  consumers: DurableConsumer<BuildRequestedSubject>[];
  consumer(options: Omit<ConsumerOptions<BuildRequestedSubject>, 'stream' | 'subject' | 'logger'>): Promise<DurableConsumer<BuildRequestedSubject>>;
  close(): Promise<void>;
}

type BuildRequestedSubject = typeof Subjects.BuildRequested;

export const silent = createLogger('test', process.env.ORZO_TEST_LOG_LEVEL ?? 'silent');

/** A private nats-server with Orzo's streams, a publisher, and consumers closed on close(). */
export async function busRig(): Promise<BusRig> {
  const server = await startNatsServer();
  const nc = await connectNats(server.url, 'test');
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
  const consumers: DurableConsumer<BuildRequestedSubject>[] = [];
  return {
    server,
    nc,
    js,
    jsm,
    publisher: new EventPublisher(js, { source: 'test', retryForMs: 20_000 }),
    consumers,
    async consumer(options) {
      const c = new DurableConsumer(js, jsm, { stream: 'ORZO_BUILD', subject: Subjects.BuildRequested, logger: silent, ...options });
      await c.start();
      consumers.push(c);
      return c;
    },
    async close() {
      await Promise.all(consumers.map((c) => c.stop()));
      await nc.close();
      await server.dispose();
    },
  };
}

export function buildRequested(n: number | string): BuildRequested {
  return {
    buildId: `b-${n}`,
    service: 'web',
    gitUrl: '/repo',
    commitSha: `sha${n}`,
    dockerfile: '',
    context: '',
    buildArgs: {},
    requestedBy: 'test',
    force: false,
    skipPipeline: false,
  };
}
