import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { ServiceError, status } from '@grpc/grpc-js';
import { BusService, RpcResponder } from '@orzo/bus';
import { Rpcs, Subjects, api, createEnvelope, deadLetterSubject } from '@orzo/contracts';
import { createLogger } from '@orzo/platform';
import { NatsServerHandle, startNatsServer, waitFor } from '@orzo/testing';
import { callUnary, startControlApi } from './control-api-rig';

const call = callUnary;

describe('control-api on the bus: dead letters listed through gRPC, the builder asked through a typed request', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let client: api.ControlApiClient;

  before(async () => {
    nats = await startNatsServer();
    ({ app, client } = await startControlApi(nats));
  });
  after(async () => {
    client?.close();
    await app?.close();
    await nats?.dispose();
  });

  const bus = () => app.get(BusService);
  const list = (req: Partial<api.ListDeadLettersRequest>) =>
    call<api.ListDeadLettersRequest, api.ListDeadLettersResponse>(client, 'listDeadLetters', { consumer: '', limit: 0, ...req });

  it('ListDeadLetters shows what a consumer parked: subject, consumer, reason, deliveries, time, event id', async () => {
    assert.deepEqual((await list({})).deadLetters, []);
    // An event missing required fields: control-api's own consumer parks it at once.
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 'test' });
    await bus().connection.publish(Subjects.BuildRequested, JSON.stringify({ ...envelope, payload: { buildId: 'b-poison' } }));
    const parked = await waitFor(async () => (await list({})).deadLetters.find((d) => d.eventId === envelope.id), { what: 'the dead letter listed' });
    // Whichever control-api consumer of build.requested parked it (the name follows the handler's).
    const durable = parked.consumer;
    assert.match(durable, /^control-api-/);
    assert.deepEqual((await list({ consumer: durable })).deadLetters, [parked]);
    assert.deepEqual(
      { ...parked, parkedAt: '', sequence: '' },
      {
        sequence: '',
        subject: deadLetterSubject(durable, Subjects.BuildRequested),
        consumer: durable,
        originalSubject: Subjects.BuildRequested,
        error: 'decode: payload.service is required by BuildRequested; payload.commitSha is required by BuildRequested',
        deliveryCount: 1,
        parkedAt: '',
        eventId: envelope.id,
        originalSequence: '1',
      },
    );
    assert.ok(Math.abs(Date.parse(parked.parkedAt) - Date.now()) < 60_000, `parked just now (${parked.parkedAt})`);
    assert.deepEqual((await list({ consumer: 'scheduler-bridge-on-deploy-requested' })).deadLetters, []);
    assert.equal((await list({ limit: 1 })).deadLetters.length, 1);
    await assert.rejects(
      list({ consumer: 'orzo.dlq.>' }),
      (err: ServiceError) => err.code === status.INVALID_ARGUMENT && /is not a consumer name/.test(err.details),
    );
  });

  it("CancelBuild maps the builder's answers: unknown build is NOT_FOUND, a cancelled one is returned", async () => {
    const builder = new RpcResponder(
      Rpcs.cancelBuild,
      ({ buildId }) => ({ cancelled: buildId === 'b-running', state: buildId === 'b-running' ? 'running' : 'unknown' }),
      createLogger('test', 'silent'),
    );
    builder.start(bus().connection);
    try {
      assert.deepEqual(await call(client, 'cancelBuild', { buildId: 'b-running' }), { cancelled: true, state: 'running' });
      await assert.rejects(
        call(client, 'cancelBuild', { buildId: 'b-gone' }),
        (err: ServiceError) => err.code === status.NOT_FOUND && /no build b-gone is known to the builder/.test(err.details),
      );
    } finally {
      await builder.stop();
    }
  });

  it('ListAlerts asks monitor-bridge: its answer passed through, a bad service name refused, no monitor-bridge UNAVAILABLE', async () => {
    await assert.rejects(
      call(client, 'listAlerts', { service: 'web' }),
      (err: ServiceError) => err.code === status.UNAVAILABLE && /monitor-bridge/.test(err.details),
    );
    const firing = {
      alertId: 'local/oom-killer.web.main',
      check: 'oom-killer.web.main',
      service: 'web',
      instance: 'main',
      cluster: 'local',
      severity: 'critical',
      output: 'OOM',
      team: 'infra',
      page: false,
      runbook: 'http://rb',
      raisedAt: '2026-01-01T10:00:00.000Z',
      failingSince: '2026-01-01T10:00:00.000Z',
      repeats: 2,
      deliveries: [{ sink: 'alertmanager', state: 'pending' as const, deliveredAt: '', attempts: 3, lastError: 'ECONNREFUSED' }],
    };
    const monitor = new RpcResponder(Rpcs.listAlerts, ({ service }) => ({ alerts: service === 'web' ? [firing] : [] }), createLogger('test', 'silent'));
    monitor.start(bus().connection);
    try {
      const res = await call<api.ListAlertsRequest, api.ListAlertsResponse>(client, 'listAlerts', { service: 'web' });
      assert.deepEqual(res.alerts, [firing]);
      assert.deepEqual((await call<api.ListAlertsRequest, api.ListAlertsResponse>(client, 'listAlerts', { service: 'other' })).alerts, []);
      await assert.rejects(
        call(client, 'listAlerts', { service: 'Bad Name' }),
        (err: ServiceError) => err.code === status.INVALID_ARGUMENT && /service name "Bad Name"/.test(err.details),
      );
    } finally {
      await monitor.stop();
    }
  });
});
