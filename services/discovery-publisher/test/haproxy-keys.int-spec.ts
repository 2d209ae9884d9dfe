import assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { Registration, Subjects } from '@orzo/contracts';
import { checkOnce, createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, freePort, httpGet, startNatsServer, stopHaproxyIn, waitFor } from '@orzo/testing';
import { discoveryPublisher } from '../src/definition';

/** A replica: answers its name; paths with "slow" take 600 ms, /hang 1.5 s; /status wants X-Mode: ro when asked to. */
function backend(name: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      if (req.url === '/status-ro') {
        res.statusCode = req.headers['x-mode'] === 'ro' ? 200 : 403;
        res.end(String(req.headers['x-mode']));
        return;
      }
      const delay = req.url === '/hang' ? 1_500 : req.url?.includes('slow') ? 600 : 0;
      setTimeout(() => res.end(name), delay);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('smartstack.yaml keys in a real HAProxy: weight, lb_policy, timeout_client_ms, endpoint_timeouts (and extra_healthcheck_headers in checks)', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let webPort: number;
  let apiPort: number;
  const backends: Array<{ server: Server; port: number }> = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-disc-keys-'));
  const publish = (subject: string, payload: object) => app.get(BusService).publish(subject as never, payload as never);
  const replica = (n: number, instance: string) => ({
    service: 'svc',
    instance,
    cluster: 'local',
    replicaId: `r${n}-${instance}`,
    host: '127.0.0.1',
    port: backends[n]!.port,
    gitSha: 'abc',
    configHash: 'c',
    forceBounce: '',
  });
  const get = async (port: number, path = '/') => {
    const res = await httpGet(`http://127.0.0.1:${port}${path}`);
    return `${res.status}:${res.body}`;
  };
  const deploy = (instance: string, details: Partial<Registration>[]) =>
    publish(Subjects.DeployRequested, {
      deployId: `d-${instance}`,
      service: 'svc',
      deployGroup: `local.${instance}`,
      specs: [{ service: 'svc', instance, cluster: 'local', registrations: details.map((d) => d.name), registrationDetails: details }],
      requestedBy: 't',
      reason: 't',
    });

  before(async () => {
    nats = await startNatsServer();
    [webPort, apiPort] = [await freePort(), await freePort()];
    backends.push(await backend('one'), await backend('two'));
    const ctx = prepareService(discoveryPublisher, { ORZO_NATS_URL: nats.url, ORZO_DATA_DIR: dataDir, ORZO_LOG_LEVEL: 'silent', ORZO_HTTP_PORT: '0' });
    assert.ok(ctx);
    await discoveryPublisher.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, discoveryPublisher.module(ctx));
    await app.init();
    const web = { name: 'svc.web', proxyPort: webPort, mode: 'http', timeoutConnectMs: 200, timeoutServerMs: 1000, retries: 1 };
    const api = {
      name: 'svc.api',
      proxyPort: apiPort,
      mode: 'http',
      timeoutConnectMs: 200,
      timeoutServerMs: 300,
      retries: 1,
      lbPolicy: 'LEAST_REQUEST',
      timeoutClientMs: 400,
      endpointTimeouts: [{ path: '/slow', timeoutMs: 2_000 }],
    };
    // Two instances in the same namespaces, with their own weights (each deploy carries its own).
    await deploy('main', [
      { ...web, instanceWeights: { 'local.main': 30 } },
      { ...api, instanceWeights: { 'local.main': 10 } },
    ]);
    await deploy('canary', [
      { ...web, instanceWeights: { 'local.canary': 10 } },
      { ...api, instanceWeights: { 'local.canary': 10 } },
    ]);
    for (const reg of ['svc.web', 'svc.api']) {
      await publish(Subjects.InstanceHealthy, { replica: replica(0, 'main'), checkOutput: 'ok', registrations: [reg] });
      await publish(Subjects.InstanceHealthy, { replica: replica(1, 'canary'), checkOutput: 'ok', registrations: [reg] });
    }
    for (const port of [webPort, apiPort])
      await waitFor(
        async () => {
          const seen = new Set<string>();
          for (let i = 0; i < 8; i++) seen.add(await get(port).catch(() => ''));
          return seen.has('200:one') && seen.has('200:two');
        },
        { what: 'both replicas routed' },
      );
  });
  after(async () => {
    await app?.close();
    await stopHaproxyIn(dataDir);
    for (const b of backends) b.server.close();
    await nats?.dispose();
  });

  it('weight: replicas of the instance with weight 30 take three times the requests of the one with weight 10', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const r = await get(webPort);
      counts[r] = (counts[r] ?? 0) + 1;
    }
    assert.deepEqual(counts, { '200:one': 30, '200:two': 10 });
  });

  it('lb_policy LEAST_REQUEST: while one replica is busy, new requests go to the other', async () => {
    const hanging = get(apiPort, '/hang').catch(() => 'x');
    await new Promise((r) => setTimeout(r, 100));
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) served.add(await get(apiPort));
    assert.equal(served.size, 1, `all on the idle replica, got ${[...served].join(', ')}`);
    await hanging;
  });

  it('endpoint_timeouts: a path gets its own server timeout; other paths keep timeout_server_ms', async () => {
    assert.match(await get(apiPort, '/slow/report'), /^200:(one|two)$/, '600 ms within /slow’s 2000 ms');
    assert.match(await get(apiPort, '/other/slow'), /^504:/, '600 ms past the 300 ms server timeout');
  });

  it('timeout_client_ms: an idle client connection is closed after it', async () => {
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const s = connect(apiPort, '127.0.0.1');
      s.on('error', reject);
      s.on('data', () => undefined);
      s.on('close', () => resolve());
      setTimeout(() => (s.destroy(), reject(new Error('still open after 5 s'))), 5_000).unref();
    });
    const took = Date.now() - started;
    assert.ok(took >= 300 && took < 2_000, `closed after ${took} ms`);
  });

  it('extra_healthcheck_headers: the health check sends them', async () => {
    const hc = { mode: 'http', uri: '/status-ro', cmd: '', gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 1 };
    assert.equal((await checkOnce({ ...hc, headers: {} }, '127.0.0.1', backends[0]!.port)).ok, false);
    const ok = await checkOnce({ ...hc, headers: { 'X-Mode': 'ro' } }, '127.0.0.1', backends[0]!.port);
    assert.equal(ok.ok, true, ok.output);
  });
});
