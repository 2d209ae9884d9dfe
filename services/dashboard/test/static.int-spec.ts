import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { prepareService } from '@orzo/platform';
import { createDashboardApp } from '../src/dashboard-app';
import { dashboard } from '../src/definition';

describe('dashboard: the built web app, as a browser loads it', () => {
  let app: INestApplication;
  let base: string;
  const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-3fA9b1Cd.js"></script></head><body><div id="root"></div></body></html>';

  before(async () => {
    const web = mkdtempSync(join(tmpdir(), 'orzo-dashboard-web-'));
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), INDEX);
    writeFileSync(join(web, 'assets', 'index-3fA9b1Cd.js'), 'console.log("orzo")');
    writeFileSync(join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    // control-api is never called here: the address only has to be well formed.
    const ctx = prepareService(dashboard, { ORZO_DASHBOARD_WEB_DIR: web, ORZO_CONTROL_API: '127.0.0.1:9', ORZO_LOG_LEVEL: 'silent' });
    assert.ok(ctx);
    app = await createDashboardApp(ctx);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  after(async () => {
    await app?.close();
  });

  it('serves index.html uncached at / and at every app route (SPA fallback)', async () => {
    for (const path of ['/', '/index.html', '/services/hello', '/deploys/hello/local.main?tab=log']) {
      // As a browser navigates: it accepts HTML.
      const res = await fetch(`${base}${path}`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), INDEX, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8', path);
    }
  });

  it('serves hashed assets with a year of immutable cache, other files revalidated', async () => {
    const js = await fetch(`${base}/assets/index-3fA9b1Cd.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'console.log("orzo")');
    const icon = await fetch(`${base}/favicon.svg`);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  });

  it('answers 404 for a missing file and a JSON 404 for an unknown /api route, never index.html', async () => {
    const gone = await fetch(`${base}/assets/index-00000000.js`);
    assert.equal(gone.status, 404);
    const api = await fetch(`${base}/api/nothing-here`);
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { code: string }).code, 'NOT_FOUND');
  });

  it('puts a CSP with no other origin on pages and API answers alike; /healthz is still served', async () => {
    for (const path of ['/', '/api/whoami', '/healthz']) {
      const res = await fetch(`${base}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /^default-src 'self';/, path);
      assert.doesNotMatch(csp, /https?:|\*/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    // Nothing listens where this dashboard looks for control-api: its health says so.
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 503);
    const body = (await health.json()) as { service: string; checks: Record<string, { ok: boolean; detail: string }> };
    assert.equal(body.service, 'dashboard');
    assert.equal(body.checks['control-api']!.ok, false);
    assert.match(body.checks['control-api']!.detail, /^127\.0\.0\.1:9: UNAVAILABLE/);
  });
});
