import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Injectable, INestApplication, Module } from '@nestjs/common';
import { OrzoEvent, Subjects } from '@orzo/contracts';
import { BusService, EventContext, HandlerOutcome, Outcome, Subscribe } from '@orzo/bus';
import { DatabaseHolder, transactionOf } from '@orzo/persistence';
import { createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, startNatsServer, waitFor } from '@orzo/testing';
import { orzoService } from '../src';

const seen: Array<{ id: string; consumer: string; hasTx: boolean; log: Record<string, unknown> }> = [];

@Injectable()
class BuildWatcher {
  @Subscribe(Subjects.BuildRequested)
  async onBuildRequested(event: OrzoEvent<typeof Subjects.BuildRequested>, ctx: EventContext): Promise<HandlerOutcome> {
    seen.push({ id: event.envelope.id, consumer: ctx.consumer, hasTx: Boolean(ctx.tx), log: ctx.log.bindings() });
    await transactionOf(ctx).execute('insert into orzo_processed_event_copy (event_id) values (?)', [event.envelope.id]);
    return Outcome.ack();
  }
}

@Module({ providers: [BuildWatcher] })
class WatcherModule {}

describe('a service built with orzoService', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  const env = () => ({ ORZO_NATS_URL: nats.url, ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-svc-')), ORZO_LOG_LEVEL: 'silent', ORZO_HTTP_PORT: '0' });
  const def = orzoService({ service: 'test-svc', httpPort: 0, module: () => WatcherModule });

  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats.dispose();
  });

  it('discovers @Subscribe handlers, runs them exactly once in a transaction, and drains on close', async () => {
    const ctx = prepareService(def, env());
    assert.ok(ctx);
    await def.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, def.module(ctx));
    await app.init();
    const db = app.get(DatabaseHolder).database;
    await db.em().execute('create table orzo_processed_event_copy (event_id varchar(100) not null)');

    const bus = app.get(BusService);
    assert.deepEqual(bus.consumerNames, ['test-svc-on-build-requested']);
    const sent = await bus.publish(Subjects.BuildRequested, {
      buildId: 'b1',
      service: 'web',
      gitUrl: '/r',
      commitSha: 'abc',
      dockerfile: '',
      context: '',
      buildArgs: {},
      requestedBy: 't',
      force: false,
      skipPipeline: false,
    });
    assert.equal(sent.envelope.source, 'test-svc');
    await waitFor(() => seen.length === 1, { what: 'the handler to run' });
    const { log, ...rest } = seen[0]!;
    assert.deepEqual(rest, { id: sent.envelope.id, consumer: 'test-svc-on-build-requested', hasTx: true });
    // Every log line of a handler carries the service, event id, subject and correlation id.
    const expected = {
      service: 'test-svc',
      eventId: sent.envelope.id,
      subject: Subjects.BuildRequested,
      correlationId: sent.envelope.correlationId,
      consumer: 'test-svc-on-build-requested',
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(log[key], value, `log binding ${key}`);
    await waitFor(async () => (await db.em().execute<unknown[]>('select * from orzo_processed_event_copy')).length === 1, { what: 'the effect to commit' });
    await app.close();
    assert.ok(bus.connection.isClosed(), 'the NATS connection is drained and closed');
  });

  it('refuses to start on a database that was not migrated', async () => {
    const ctx = prepareService(def, env());
    assert.ok(ctx);
    const unmigrated = await createServiceApp(ctx, def.module(ctx));
    await assert.rejects(unmigrated.init(), /pending migration\(s\).*npm run migrate/);
    await unmigrated.close().catch(() => undefined);
  });

  it('lists every bad variable when the config is invalid', () => {
    let stderr = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
    try {
      assert.equal(prepareService(def, { ORZO_NATS_URL: 'http://nope', ORZO_HTTP_PORT: '99999', ORZO_DB_URL: 'mysql://x' }), null);
    } finally {
      process.stderr.write = write;
    }
    assert.match(stderr, /invalid configuration \(3 problems\)/);
    for (const key of ['ORZO_NATS_URL', 'ORZO_HTTP_PORT', 'ORZO_DB_URL']) assert.match(stderr, new RegExp(`- ${key}: `));
  });
});
