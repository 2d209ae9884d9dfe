import assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort, waitUntilReady } from '../src';

/** A /healthz answering `status` for `service`, switchable. */
function healthServer(service: string, status: () => number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? status() : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ service, ok: status() === 200, checks: { nats: { ok: status() === 200 } } }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('waitUntilReady: every /healthz 200, no log line needed', () => {
  const servers: Server[] = [];
  let builder: string;
  let dashboard: string;
  let dashboardStatus = 503;
  before(async () => {
    const b = await healthServer('builder', () => 200);
    const d = await healthServer('dashboard', () => dashboardStatus);
    servers.push(b.server, d.server);
    builder = b.url;
    dashboard = d.url;
  });
  after(() => servers.forEach((s) => s.close()));

  it('resolves once the last service turns healthy', async () => {
    setTimeout(() => (dashboardStatus = 200), 600);
    await waitUntilReady(
      [
        { name: 'builder', url: builder },
        { name: 'dashboard', url: dashboard },
      ],
      { timeoutMs: 30_000, outputOf: () => '' },
    );
    assert.equal(dashboardStatus, 200);
  });

  it('at the deadline, names the service that did not come up, why, and its last lines', async () => {
    const silent = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      waitUntilReady(
        [
          { name: 'builder', url: builder },
          { name: 'monitor-bridge', url: silent },
          // Another service answering on the port is not this one.
          { name: 'jenkins-hook', url: dashboard },
        ],
        { timeoutMs: 1_000, outputOf: (name) => `${name} | waiting for NATS\n${name} | still waiting`, lines: 1 },
      ),
      (err: Error) => {
        assert.match(
          err.message,
          /^not ready after \ds \(load average up to [\d.]+ on \d+ cores; ORZO_E2E_START_TIMEOUT_S sets the wait\); not ready: monitor-bridge \(\/healthz: ECONNREFUSED\), jenkins-hook \(http:\/\/127\.0\.0\.1:\d+ is not jenkins-hook: HTTP 200/,
        );
        assert.doesNotMatch(err.message, /builder/);
        assert.match(err.message, /--- monitor-bridge: its last lines ---\nmonitor-bridge \| still waiting\n--- jenkins-hook/);
        return true;
      },
    );
  });

  it('stops waiting when the process died, saying so instead of the deadline', async () => {
    const silent = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      waitUntilReady([{ name: 'builder', url: silent }], {
        timeoutMs: 60_000,
        outputOf: () => 'migrate failed',
        exited: () => 'orzo up exited (1) while starting',
      }),
      /^Error: orzo up exited \(1\) while starting; not ready: builder \(\/healthz: ECONNREFUSED\)\n--- builder: its last lines ---\nmigrate failed$/,
    );
  });
});
