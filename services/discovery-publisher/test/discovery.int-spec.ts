import assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { Kvm } from '@nats-io/kv';
import { BusService, connectNats } from '@orzo/bus';
import { DiscoveryRegistry, Subjects } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, freePort, httpGet, startNatsServer, stopHaproxyIn, waitFor } from '@orzo/testing';
import { discoveryPublisher } from '../src/definition';

function backend(name: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => res.end(name));
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

async function get(port: number): Promise<string> {
  const res = await httpGet(`http://127.0.0.1:${port}/`);
  return `${res.status}:${res.body}`;
}

describe('discovery-publisher driving a real HAProxy', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let proxyPort: number;
  const backends: Array<{ server: Server; port: number }> = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-disc-'));
  const boot = async () => {
    const ctx = prepareService(discoveryPublisher, { ORZO_NATS_URL: nats.url, ORZO_DATA_DIR: dataDir, ORZO_LOG_LEVEL: 'silent', ORZO_HTTP_PORT: '0' });
    assert.ok(ctx);
    await discoveryPublisher.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, discoveryPublisher.module(ctx));
    await app.init();
  };
  const replica = (n: number) => ({
    service: 'hello',
    instance: 'main',
    cluster: 'local',
    replicaId: `r${n}`,
    host: '127.0.0.1',
    port: backends[n]!.port,
    gitSha: 'abc',
    configHash: 'c',
    forceBounce: '',
  });
  const publish = (subject: string, payload: object) => app.get(BusService).publish(subject as never, payload as never);

  before(async () => {
    nats = await startNatsServer();
    proxyPort = await freePort();
    backends.push(await backend('one'), await backend('two'));
    await boot();
  });
  after(async () => {
    await app?.close();
    await stopHaproxyIn(dataDir);
    for (const b of backends) b.server.close();
    await nats.dispose();
  });

  it('opens a frontend on the proxy_port and routes to healthy replicas without a reload', async () => {
    const spec = {
      service: 'hello',
      instance: 'main',
      cluster: 'local',
      registrations: ['hello.main'],
      registrationDetails: [
        { name: 'hello.main', proxyPort, mode: 'http', healthcheckUri: '/status', timeoutConnectMs: 200, timeoutServerMs: 1000, retries: 1 },
      ],
    };
    await publish(Subjects.DeployRequested, { deployId: 'd1', service: 'hello', deployGroup: 'local.main', specs: [spec], requestedBy: 't', reason: 't' });
    await publish(Subjects.InstanceHealthy, { replica: replica(0), checkOutput: 'ok', registrations: ['hello.main'] });
    await waitFor(async () => (await get(proxyPort).catch(() => '')) === '200:one', { what: 'HAProxy to route to replica one' });
    await publish(Subjects.InstanceHealthy, { replica: replica(1), checkOutput: 'ok', registrations: ['hello.main'] });
    await waitFor(
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add(await get(proxyPort));
        return seen.has('200:one') && seen.has('200:two');
      },
      { what: 'both replicas to serve' },
    );
    const kv = await new Kvm(app.get(BusService).connection).open(DiscoveryRegistry.bucket);
    const entry = await kv.get(DiscoveryRegistry.endpointsKey('hello.main'));
    assert.deepEqual(
      entry!.json<Array<{ replicaId: string }>>().map((e) => e.replicaId),
      ['r0', 'r1'],
    );
  });

  it('takes a stopped replica out of rotation and loses no request doing it', async () => {
    await publish(Subjects.InstanceStopped, { replica: replica(0), reason: 'bounce', exitCode: 0, oomKilled: false });
    await waitFor(
      async () => {
        for (let i = 0; i < 4; i++) if ((await get(proxyPort)) !== '200:two') return false;
        return true;
      },
      { what: 'only replica two to serve' },
    );
  });

  it('keeps routing while it restarts, then adopts its HAProxy and clears slots of replicas that left meanwhile', async () => {
    await app.close();
    assert.equal(await get(proxyPort), '200:two', 'HAProxy outlives the publisher');
    // A replica leaves while the publisher is away: the registry says so, HAProxy does not yet.
    const nc = await connectNats(nats.url, 'test');
    await (await new Kvm(nc).open(DiscoveryRegistry.bucket)).put(DiscoveryRegistry.endpointsKey('hello.main'), '[]');
    await nc.close();
    await boot();
    await waitFor(async () => (await get(proxyPort).catch((e: Error) => e.message)) !== '200:two', { what: 'the stale slot to be cleared' });
    assert.match(await get(proxyPort).catch((e: Error) => `error ${e.message}`), /^503|^error/);
  });

  it('ignores an older event arriving after a newer one', async () => {
    await publish(Subjects.InstanceHealthy, { replica: replica(1), checkOutput: 'ok', registrations: ['hello.main'] });
    await waitFor(async () => (await get(proxyPort).catch(() => '')) === '200:two', { what: 'replica two back' });
    const old = new Date(Date.now() - 60_000).toISOString();
    await app
      .get(BusService)
      .publish(Subjects.InstanceHealthy, { replica: replica(0), checkOutput: 'stale', registrations: ['hello.main'] }, { occurredAt: old });
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 4; i++) assert.equal(await get(proxyPort), '200:two');
  });
});
