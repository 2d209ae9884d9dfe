import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { prepareService } from '@orzo/platform';
import { NatsServerHandle, TestCertificates, makeTestCertificates, startNatsServer } from '@orzo/testing';
import { createDashboardApp } from '../src/dashboard-app';
import { dashboard } from '../src/definition';
import { ControlApiProcess, startControlApiProcess } from './control-api-process';

describe('dashboard to a control-api that wants mutual TLS', () => {
  let nats: NatsServerHandle;
  let control: ControlApiProcess;
  let certs: TestCertificates;
  const apps: INestApplication[] = [];

  /** A dashboard with these TLS variables; resolves to its base URL. */
  const dashboardWith = async (env: Record<string, string>): Promise<string> => {
    const ctx = prepareService(dashboard, { ORZO_CONTROL_API: control.address, ORZO_LOG_LEVEL: 'silent', ...env });
    assert.ok(ctx);
    const app = await createDashboardApp(ctx);
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  };
  const login = async (base: string) => {
    const res = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: control.adminToken }),
    });
    return { status: res.status, body: (await res.json()) as { error?: string; code?: string; name?: string } };
  };

  before(async () => {
    certs = makeTestCertificates();
    nats = await startNatsServer();
    control = await startControlApiProcess(nats, { ORZO_GRPC_TLS_CERT: certs.cert, ORZO_GRPC_TLS_KEY: certs.key, ORZO_GRPC_TLS_CLIENT_CA: certs.ca });
  });
  after(async () => {
    for (const app of apps) await app.close();
    await control?.stop();
    await nats?.dispose();
  });

  it('logs in through TLS with ORZO_CA and a client certificate, as the CLI would', async () => {
    const base = await dashboardWith({ ORZO_CA: certs.ca, ORZO_CLIENT_CERT: certs.clientCert, ORZO_CLIENT_KEY: certs.clientKey });
    const ok = await login(base);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.ok(ok.body.name);
  });

  it('without a client certificate control-api refuses the connection: 503 UNAVAILABLE, no cookie', async () => {
    const base = await dashboardWith({ ORZO_CA: certs.ca });
    const refused = await login(base);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'UNAVAILABLE');
  });
});
