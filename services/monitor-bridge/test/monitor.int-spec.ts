import assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { InstanceSpec, Subjects } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, startNatsServer, waitFor } from '@orzo/testing';
import { monitorBridge } from '../src/definition';
import { MonitorService } from '../src/monitor.service';

describe('monitor-bridge health-checking real HTTP replicas', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  const status = { good: 200, bad: 500 };
  const servers: Record<string, { server: Server; port: number }> = {};
  const serve = (name: 'good' | 'bad') =>
    new Promise<void>((resolve) => {
      const server = createServer((req, res) => ((res.statusCode = req.url === '/status' ? status[name] : 404), res.end(name)));
      server.listen(0, '127.0.0.1', () => ((servers[name] = { server, port: (server.address() as { port: number }).port }), resolve()));
    });
  const replica = (name: 'good' | 'bad') => ({
    service: 'web',
    instance: 'main',
    cluster: 'local',
    replicaId: name,
    host: '127.0.0.1',
    port: servers[name]!.port,
    gitSha: 'abc',
    configHash: 'c',
    forceBounce: '',
  });
  const counts = async () => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const info = await jsm.streams.info('ORZO_INSTANCE', { subjects_filter: 'orzo.instance.>' });
    const s = (info.state.subjects ?? {}) as Record<string, number>;
    return { healthy: s[Subjects.InstanceHealthy] ?? 0, unhealthy: s[Subjects.InstanceUnhealthy] ?? 0 };
  };

  before(async () => {
    nats = await startNatsServer();
    await serve('good');
    await serve('bad');
    const ctx = prepareService(monitorBridge, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-mon-')),
      ORZO_LOG_LEVEL: 'silent',
      ORZO_HTTP_PORT: '0',
    });
    assert.ok(ctx);
    await monitorBridge.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, monitorBridge.module(ctx));
    await app.init();
  });
  after(async () => {
    await app?.close();
    for (const s of Object.values(servers)) s.server.close();
    await nats.dispose();
  });

  it('publishes healthy and unhealthy on transitions only', async () => {
    const bus = app.get(BusService);
    const spec = {
      service: 'web',
      instance: 'main',
      cluster: 'local',
      replicas: 2,
      healthcheck: { mode: 'http', uri: '/status', cmd: '', gracePeriodSeconds: 0, intervalSeconds: 0.2, timeoutSeconds: 1, maxConsecutiveFailures: 2 },
    } as Partial<InstanceSpec>;
    await bus.publish(Subjects.DeployRequested, {
      deployId: 'd1',
      service: 'web',
      deployGroup: 'local.main',
      specs: [spec as InstanceSpec],
      requestedBy: 't',
      reason: 't',
    });
    await new Promise((r) => setTimeout(r, 300));
    await bus.publish(Subjects.InstanceStarted, { replica: replica('good'), image: 'x', registrations: ['web.main'] });
    await bus.publish(Subjects.InstanceStarted, { replica: replica('bad'), image: 'x', registrations: ['web.main'] });
    await waitFor(
      async () => {
        const c = await counts();
        return c.healthy === 1 && c.unhealthy === 1;
      },
      { what: 'one healthy (good) and one unhealthy (bad)' },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(await counts(), { healthy: 1, unhealthy: 1 }, 'no repeat while nothing changes');
  });

  it('notices a healthy replica going bad after max consecutive failures', async () => {
    status.good = 503;
    await waitFor(async () => (await counts()).unhealthy === 2, { what: 'good to turn unhealthy' });
    status.good = 200;
    await waitFor(async () => (await counts()).healthy === 2, { what: 'good to recover' });
  });

  it('stops checking a stopped replica', async () => {
    const monitor = app.get(MonitorService);
    assert.equal(monitor.watchedCount, 2);
    await app.get(BusService).publish(Subjects.InstanceStopped, { replica: replica('bad'), reason: 'bounce', exitCode: 0, oomKilled: false });
    await waitFor(() => monitor.watchedCount === 1, { what: 'the stopped replica to be forgotten' });
  });

  it('checks a replica on its check_port (healthcheck_port) when it has one, not on its service port', async () => {
    const bus = app.get(BusService);
    status.good = 200;
    const spec = {
      service: 'web2',
      instance: 'main',
      cluster: 'local',
      replicas: 1,
      healthcheck: { mode: 'http', uri: '/status', cmd: '', gracePeriodSeconds: 0, intervalSeconds: 0.2, timeoutSeconds: 1, maxConsecutiveFailures: 1 },
    } as Partial<InstanceSpec>;
    await bus.publish(Subjects.DeployRequested, {
      deployId: 'd2',
      service: 'web2',
      deployGroup: 'local.main',
      specs: [spec as InstanceSpec],
      requestedBy: 't',
      reason: 't',
    });
    await new Promise((r) => setTimeout(r, 300));
    const before = (await counts()).healthy;
    // Its service port answers 500 on /status; its check port is the good server.
    const r = { ...replica('bad'), service: 'web2', replicaId: 'checked-elsewhere', checkPort: servers.good!.port };
    await bus.publish(Subjects.InstanceStarted, { replica: r, image: 'x', registrations: [] });
    await waitFor(async () => (await counts()).healthy === before + 1, { what: 'healthy through its check port' });
  });
});
