// bench/bus-throughput: events per second through one libs/bus consumer (decode, validate,
// de-duplicate against the processed-event table, ack) next to a raw JetStream consume+ack
// of the same bytes, and the same for publishing; all against one private nats-server.
// Usage: node bench/dist/src/bus-throughput.js [events=20000] [--pg] [--rounds=3]
import { AckPolicy, DeliverPolicy, JetStreamClient, JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { EnvelopeMeta, Subjects, createEnvelope, encodeEvent } from '@orzo/contracts';
import { DurableConsumer, EventPublisher, Outcome, connectNats, ensureStreams } from '@orzo/bus';
import { Database, ProcessedEventStore } from '@orzo/persistence';
import { createLogger } from '@orzo/platform';
import { startNatsServer, tempSqliteUrl, testPostgresUrl, uniqueSchema, waitFor } from '@orzo/testing';
import { recordFigure } from './figures';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20_000);
const WINDOW = 512;
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function pipelined(count: number, send: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < count) await send(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function rawConsume(js: JetStreamClient, jsm: JetStreamManager, durable: string): Promise<number> {
  await jsm.consumers.add('BENCH_RAW', { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 1000 });
  const consumer = await js.consumers.get('BENCH_RAW', durable);
  const started = performance.now();
  const messages = await consumer.consume({ max_messages: 256 });
  let n = 0;
  for await (const m of messages) {
    m.ack();
    if (++n === N) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await messages.close();
  return seconds;
}

async function busConsume(js: JetStreamClient, jsm: JetStreamManager, db: Database, durable: string): Promise<number> {
  let acked = 0;
  const consumer = new DurableConsumer(js, jsm, {
    stream: 'ORZO_BUILD',
    durable,
    subject: Subjects.BuildRequested,
    logger: createLogger('bench', 'warn'),
    idempotency: new ProcessedEventStore(db),
    handler: () => Outcome.ack(),
    // Counts settled (acked) events, the same end point as the raw consumer's m.ack().
    metrics: { handled: (_c, _s, outcome) => void (outcome === 'ack' && acked++) },
  });
  const started = performance.now();
  await consumer.start();
  await waitFor(() => acked >= N, { timeoutMs: 600_000, intervalMs: 1 });
  const seconds = (performance.now() - started) / 1000;
  await waitFor(async () => (await jsm.consumers.info('ORZO_BUILD', durable)).num_ack_pending === 0, { what: 'the server to have every ack' });
  await consumer.stop();
  return seconds;
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connectNats(server.url, 'bench');
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw'] });

  const payloadOf = (i: number) => ({
    buildId: `b-${i}`,
    service: 'web',
    gitUrl: '/repo',
    commitSha: `sha-${i}`,
    dockerfile: '',
    context: '',
    buildArgs: {},
    requestedBy: 'bench',
    force: false,
    skipPipeline: false,
  });

  const events: Array<{ envelope: EnvelopeMeta & { type: typeof Subjects.BuildRequested }; bytes: Uint8Array }> = [];
  for (let i = 0; i < N; i++) {
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 'bench' });
    events.push({ envelope, bytes: encodeEvent(envelope, payloadOf(i)) });
  }

  log(`bus-throughput: ${N} events of ${events[0]!.bytes.length} bytes, one private nats-server (file storage), node ${process.version}`);
  const rawPub = await pipelined(N, (i) => js.publish('bench.raw', events[i]!.bytes));
  const publisher = new EventPublisher(js, { source: 'bench' });
  const busPub = await pipelined(N, (i) => publisher.publishEnvelope(events[i]!.envelope, payloadOf(i)));
  // Consumption is measured ROUNDS times, alternating raw and bus, and the medians compared:
  // a shared machine's noise hits both sides alike.
  const rawRuns: number[] = [];

  const rate = (s: number) => Math.round(N / s);
  const rows: Array<[string, number]> = [
    ['raw JetStream publish (pre-encoded, no msg id)', rawPub],
    ['libs/bus publish (encode + Nats-Msg-Id)', busPub],
  ];
  const targets = [{ name: 'sqlite', url: tempSqliteUrl('bench'), schema: 'unused' }];
  if (process.argv.includes('--pg')) targets.push({ name: 'postgresql', url: testPostgresUrl(), schema: uniqueSchema('orzo_bench') });
  const consumeRatios: string[] = [];
  const busRuns = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    rawRuns.push(await rawConsume(js, jsm, `raw-${round}`));
    for (const t of targets) {
      const db = await Database.open({ url: t.url, schema: t.schema });
      await db.migrate();
      busRuns.set(t.name, [...(busRuns.get(t.name) ?? []), await busConsume(js, jsm, db, `bench-${t.name}-${round}`)]);
      await db.close();
    }
  }
  const rawCon = median(rawRuns);
  rows.push([`raw JetStream consume + ack (median of ${ROUNDS})`, rawCon]);
  for (const t of targets) {
    const seconds = median(busRuns.get(t.name)!);
    rows.push([`libs/bus consume: decode + dedup (${t.name}) + ack`, seconds]);
    consumeRatios.push(`${t.name} ${(rawCon / seconds).toFixed(2)}`);
    recordFigure({
      bench: 'bus',
      measure: `consume: decode + dedup (${t.name}) + ack`,
      value: rate(seconds),
      unit: 'events/s',
      floor: { label: 'raw JetStream consume + ack', value: rate(rawCon) },
      goal: 'ratio > 0.5',
      met: rawCon / seconds > 0.5,
    });
    const db = await Database.open({ url: t.url, schema: t.schema });
    if (t.name === 'postgresql') await db.em().execute(`drop schema if exists "${t.schema}" cascade`);
    await db.close();
  }
  for (const [name, s] of rows) log(`  ${name.padEnd(52)} ${String(rate(s)).padStart(8)} events/s  (${s.toFixed(2)} s)`);
  log(`ratio publish (bus / raw): ${(rawPub / busPub).toFixed(2)}`);
  log(`ratio consume (bus / raw): ${consumeRatios.join(', ')}   goal > 0.5`);
  await nc.close();
  await server.dispose();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
