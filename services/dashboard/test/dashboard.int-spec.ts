import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BuildLogs, api } from '@orzo/contracts';
import { prepareService } from '@orzo/platform';
import { NatsServerHandle, startNatsServer, waitFor } from '@orzo/testing';
import { createDashboardApp } from '../src/dashboard-app';
import { dashboard } from '../src/definition';
import { ControlApiProcess, startControlApiProcess } from './control-api-process';
import { SseEvent, SseReader, openSse } from './sse-client';

const ACTION = { 'X-Orzo-Action': '1' };

describe('dashboard gateway: the browser reaches control-api with its own token, and only control-api decides', () => {
  let nats: NatsServerHandle;
  let control: ControlApiProcess;
  let app: INestApplication;
  let base: string;
  let readToken: string;
  const admin = () => ({ Authorization: `Bearer ${control.adminToken}` });

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const cookieOf = (setCookie: string | null) => /^(orzo_token=[^;]*)/.exec(setCookie ?? '')?.[1] ?? '';
  const mark = (commitSha: string) => post('/api/rpc/MarkForDeployment', { service: 'hello', deployGroup: 'local.main', commitSha }, { ...ACTION, ...admin() });

  before(async () => {
    nats = await startNatsServer();
    control = await startControlApiProcess(nats);
    const ctx = prepareService(dashboard, { ORZO_CONTROL_API: control.address, ORZO_LOG_LEVEL: 'silent', ORZO_DASHBOARD_WEB_DIR: '/nonexistent/web/dist' });
    assert.ok(ctx);
    app = await createDashboardApp(ctx);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const created = await post('/api/rpc/CreateToken', { name: 'dashboard-viewer', scopes: ['read'] }, { ...ACTION, ...admin() });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    readToken = created.body.token as string;
    assert.ok(readToken, JSON.stringify(created.body));
  });
  after(async () => {
    await app?.close();
    await control?.stop();
    await nats?.dispose();
  });

  it('login with a valid token sets an HttpOnly SameSite=Strict cookie that whoami then accepts', async () => {
    const login = await post('/api/login', { token: readToken });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.name, 'dashboard-viewer');
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^orzo_token=/);
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.split('; ').includes(attribute), setCookie);
    const who = await fetch(`${base}/api/whoami`, { headers: { Cookie: cookieOf(setCookie) } });
    assert.equal(who.status, 200);
    assert.equal(((await who.json()) as api.WhoAmIResponse).name, 'dashboard-viewer');
  });

  it('login with a bad token is 401 with no cookie; whoami without one is 401', async () => {
    const bad = await post('/api/login', { token: 'orzo_not-a-real-token' });
    assert.equal(bad.status, 401);
    assert.equal(typeof bad.body.error, 'string');
    assert.equal(bad.headers.get('set-cookie'), null);
    const who = await fetch(`${base}/api/whoami`);
    assert.equal(who.status, 401);
    // Another site's form posting a token (login CSRF) is refused before control-api is asked.
    const crossSite = await post('/api/login', { token: readToken }, { 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.headers.get('set-cookie'), null);
  });

  it("a read-only token's forged MarkForDeployment is refused 403 by control-api, while its reads pass", async () => {
    const cookie = cookieOf((await post('/api/login', { token: readToken })).headers.get('set-cookie'));
    const status = await post('/api/rpc/GetStatus', { service: 'hello' }, { ...ACTION, Cookie: cookie });
    assert.equal(status.status, 200, JSON.stringify(status.body));
    assert.ok(Array.isArray(status.body.instances));
    const forged = await post(
      '/api/rpc/MarkForDeployment',
      { service: 'hello', deployGroup: 'local.main', commitSha: 'a'.repeat(40) },
      { ...ACTION, Cookie: cookie },
    );
    assert.equal(forged.status, 403);
    assert.equal(forged.body.code, 'PERMISSION_DENIED');
    // control-api's own words: the scope it needs, not a gateway rule.
    assert.match(forged.body.error as string, /dashboard-viewer .*may not call MarkForDeployment: it needs deploy/);
  });

  it('a POST without X-Orzo-Action is 403 even with a valid admin cookie', async () => {
    const cookie = cookieOf((await post('/api/login', { token: control.adminToken })).headers.get('set-cookie'));
    const res = await post('/api/rpc/GetStatus', { service: 'hello' }, { Cookie: cookie });
    assert.equal(res.status, 403);
    assert.match(res.body.error as string, /X-Orzo-Action/);
    const logout = await post('/api/logout', {}, { Cookie: cookie });
    assert.equal(logout.status, 403);
  });

  it('an unknown method is 404, a streaming one 400, a malformed body 400 before anything is called', async () => {
    const unknown = await post('/api/rpc/DropAllTables', {}, { ...ACTION, ...admin() });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'NOT_FOUND');
    const streaming = await post('/api/rpc/GetBuildLog', {}, { ...ACTION, ...admin() });
    assert.equal(streaming.status, 400);
    assert.match(streaming.body.error as string, /\/api\/stream\/GetBuildLog/);
    const sha = 'b'.repeat(40);
    const malformed = await post('/api/rpc/MarkForDeployment', `{"service": "hello", "deployGroup": "local.main", "commitSha": "${sha}"`, {
      ...ACTION,
      ...admin(),
    });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.error as string, /request body is not valid JSON/);
    const notObject = await post('/api/rpc/GetStatus', '["hello"]', { ...ACTION, ...admin() });
    assert.equal(notObject.status, 400);
    // Nothing reached control-api: no mark of that sha is in the history.
    const history = await post('/api/rpc/GetHistory', { service: 'hello' }, { ...ACTION, ...admin() });
    assert.equal(history.status, 200, JSON.stringify(history.body));
    assert.ok(!JSON.stringify(history.body).includes(sha));
  });

  it('events resume after a reconnect from Last-Event-ID: nothing lost, nothing repeated', async () => {
    for (const sha of ['c'.repeat(40), 'e'.repeat(40), 'f'.repeat(40)]) {
      const marked = await mark(sha);
      assert.equal(marked.status, 200, JSON.stringify(marked.body));
    }
    const url = `${base}/api/events?services=hello&since=1h`;
    const a = await openSse(url, admin());
    assert.equal(a.status, 200);
    assert.match(a.headers.get('content-type') ?? '', /^text\/event-stream/);
    await waitFor(() => a.events.length >= 1, { what: 'a first event' });
    // The connection drops after the first event (the others may have been on the wire, never
    // seen); more happens while it is gone.
    a.close();
    await a.done;
    const seenByA = a.events.slice(0, 1);
    const second = await mark('d'.repeat(40));
    assert.equal(second.status, 200, JSON.stringify(second.body));
    // Everything stored, in order: the reference the two connections together must equal.
    const all = await waitFor(
      async () => {
        const ref = await openSse(
          `${base}/api/stream/WatchEvents?req=${encodeURIComponent(JSON.stringify({ services: ['hello'], since: '1h', noFollow: true }))}`,
          admin(),
        );
        await ref.done;
        const messages = ref.events.filter((e) => e.event === 'message');
        return messages.some((e) => e.data.includes('d'.repeat(40))) && ref.events.at(-1)?.event === 'end' ? messages : undefined;
      },
      { timeoutMs: 20_000, what: 'the second mark in the stored events' },
    );
    assert.ok(all.length - seenByA.length >= 2, `the resumed stream has stored and new events to deliver (${all.length} stored, ${seenByA.length} seen)`);
    const lastId = seenByA.at(-1)!.id!;
    assert.ok(lastId, 'each event carries its position as the SSE id');
    const b: SseReader = await openSse(url, { ...admin(), 'Last-Event-ID': lastId });
    try {
      const positions = (events: SseEvent[]) => events.map((e) => (JSON.parse(e.data) as api.WatchedEvent).position);
      const want = positions(all);
      await waitFor(() => b.events.filter((e) => e.event === 'message').length + seenByA.length >= want.length, {
        timeoutMs: 20_000,
        what: 'the resumed stream to catch up',
      });
      const got = [...positions(seenByA), ...positions(b.events.filter((e) => e.event === 'message'))];
      assert.deepEqual(got, want);
      assert.deepEqual(
        b.events.map((e) => e.id),
        positions(b.events),
      );
    } finally {
      b.close();
      await b.done;
    }
  });

  it('a build log streams as server-sent events and ends with event: end', async () => {
    const buildId = '3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
    const log = await openSse(`${base}/api/stream/GetBuildLog?req=${encodeURIComponent(JSON.stringify({ service: 'hello', buildId, follow: true }))}`, admin());
    assert.equal(log.status, 200);
    // What the builder writes while it builds: lines on the build's log subject, the last one marked.
    const nc = await connect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      const lines = [{ line: 'Step 1/2 : FROM busybox' }, { line: 'Step 2/2 : CMD ["true"]' }, { line: 'built', end: 'succeeded' }];
      for (const l of lines) await js.publish(BuildLogs.subject('hello', buildId), JSON.stringify({ at: new Date().toISOString(), ...l }));
    } finally {
      await nc.close();
    }
    await log.done;
    const messages = log.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as api.BuildLogLine);
    assert.deepEqual(
      messages.map((m) => m.line),
      ['Step 1/2 : FROM busybox', 'Step 2/2 : CMD ["true"]', 'built'],
    );
    assert.equal(log.events.at(-1)?.event, 'end');
  });

  it("a browser leaving a followed log cancels control-api's call: its reader and its consumer are gone", async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const req = { service: 'hello', buildId: '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d', follow: true };
      const subject = BuildLogs.subject(req.service, req.buildId);
      // control-api's reader of this build's log (a build id no other test uses): an ordered consumer that pulls while the call lives.
      const reader = async () =>
        (await jsm.consumers.list(BuildLogs.stream).next()).find((c) => c.config.filter_subject === subject || c.config.filter_subjects?.includes(subject));
      const log = await openSse(`${base}/api/stream/GetBuildLog?req=${encodeURIComponent(JSON.stringify(req))}`, admin());
      await jetstream(nc).publish(subject, JSON.stringify({ at: new Date().toISOString(), line: 'compiling' }));
      await waitFor(() => log.events.some((e) => e.data.includes('compiling')), { what: 'the first line in the browser' });
      await waitFor(async () => ((await reader())?.num_waiting ?? 0) >= 1, { what: 'control-api waiting for more lines' });
      log.close();
      await log.done;
      // Deleted at once, not left on the server for its inactive_threshold: reloads do not pile them up.
      await waitFor(async () => (await reader()) === undefined, { what: "control-api's reader of the log deleted once the browser left" });
    } finally {
      await nc.close();
    }
  });

  it('RemoteRun is not served as a stream, and a stream without a token is 401', async () => {
    const remote = await fetch(`${base}/api/stream/RemoteRun?req=%7B%7D`, { headers: admin() });
    assert.equal(remote.status, 400);
    const anonymous = await fetch(`${base}/api/stream/GetBuildLog?req=%7B%7D`);
    assert.equal(anonymous.status, 401);
  });

  it("/healthz reports control-api's own gRPC health", async () => {
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(((await health.json()) as { checks: unknown }).checks, { 'control-api': { ok: true } });
  });

  it('without web/dist every page is a 503 saying to run npm run build, under a strict CSP', async () => {
    const page = await fetch(`${base}/deploys/hello`);
    assert.equal(page.status, 503);
    assert.match(await page.text(), /npm run build/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(page.headers.get('x-powered-by'), null);
  });
});
