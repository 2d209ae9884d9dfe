import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { BuildImageBuilt, BuildRequested, OrzoEvent, Subjects, decodeEvent } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, sleep, startNatsServer, waitFor } from '@orzo/testing';
import { jenkinsHook } from '../src/definition';
import { signatureOf } from '../src/hook-auth';

const soaDir = join(__dirname, '..', '..', '..', '..', 'examples', 'soa-configs');
const TOKEN = 'jenkins-test-token';
const SECRET = "It's a Secret to Everybody";
const SHA = '9f1c2b3a4d5e6f708192a3b4c5d6e7f809102030';
const MAX_BYTES = 4096;

interface Answer {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

interface Call {
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Send the body in pieces without Content-Length (chunked). */
  chunked?: boolean;
}

/** One request over node:http with a hard timeout; a write error after the answer is ignored. */
function call(port: number, method: string, path: string, options: Call = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string | number> = { 'content-type': 'application/json;charset=UTF-8', ...options.headers };
    if (body && !options.chunked) headers['content-length'] = body.length;
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON: the assertion on json says so
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer within 5s`)));
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (body && options.chunked) {
      for (let i = 0; i < body.length; i += 1024) req.write(body.subarray(i, i + 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

function notification(number: number, build: Record<string, unknown> = {}, name = 'services-hello'): Record<string, unknown> {
  return {
    name,
    display_name: name,
    url: `job/${name}/`,
    build: {
      full_url: `https://ci.example/job/${name}/${number}/`,
      number,
      queue_id: 1000 + number,
      timestamp: 1718000000000,
      phase: 'FINALIZED',
      status: 'SUCCESS',
      url: `job/${name}/${number}/`,
      scm: { url: 'git@github.com:org/hello.git', branch: 'origin/main', commit: SHA, changes: [], culprits: [] },
      parameters: {},
      ...build,
    },
  };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const auth = { authorization: basic('jenkins', TOKEN) };

describe('jenkins-hook on real NATS and SQLite', () => {
  let nats: NatsServerHandle;
  const apps: INestApplication[] = [];
  let app: INestApplication;
  let port: number;

  const boot = async (env: Record<string, string>) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'orzo-jenkins-hook-'));
    const ctx = prepareService(jenkinsHook, { ORZO_NATS_URL: nats.url, ORZO_DATA_DIR: dataDir, ORZO_LOG_LEVEL: 'silent', ORZO_SOA_DIR: soaDir, ...env });
    assert.ok(ctx, 'the config is valid');
    await jenkinsHook.commands!.migrate!(ctx);
    const booted = await createServiceApp(ctx, jenkinsHook.module(ctx));
    await booted.listen(0, '127.0.0.1');
    apps.push(booted);
    return { app: booted, port: (booted.getHttpServer().address() as AddressInfo).port };
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    call(port, 'POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  const notify = (body: unknown, headers: Record<string, string> = auth) => post('/v1/jenkins/notification', body, headers);
  const webhook = (body: string, headers: Record<string, string> = {}) =>
    post('/v1/webhooks/build', body, { 'x-orzo-token': TOKEN, 'x-hub-signature-256': signatureOf(SECRET, body), ...headers });
  const buildMessages = async () => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    return (await jsm.streams.info('ORZO_BUILD')).state.messages;
  };
  const lastEvent = async <T>(subject: typeof Subjects.BuildRequested | typeof Subjects.BuildImageBuilt): Promise<OrzoEvent & { payload: T }> => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const m = await jsm.streams.getMessage('ORZO_BUILD', { last_by_subj: subject });
    const decoded = decodeEvent(subject, m!.data);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    return decoded.event as OrzoEvent & { payload: T };
  };
  const list = async (query = '') => {
    const res = await call(port, 'GET', `/v1/jenkins/notifications${query}`, { headers: auth });
    assert.equal(res.status, 200, res.text);
    return res.json.deliveries as Array<Record<string, unknown>>;
  };

  before(async () => {
    nats = await startNatsServer();
    ({ app, port } = await boot({
      ORZO_JENKINS_TOKEN: TOKEN,
      ORZO_WEBHOOK_SECRET: SECRET,
      ORZO_WEBHOOK_MAX_BYTES: String(MAX_BYTES),
      ORZO_WEBHOOK_PUBLISH_TIMEOUT_MS: '1500',
    }));
  });
  after(async () => {
    for (const a of apps) await a.close().catch(() => undefined);
    await nats?.dispose();
  });

  it('a FINALIZED SUCCESS notification publishes exactly one build.requested with the job, commit and repository', async () => {
    const before = await buildMessages();
    const res = await notify(notification(7));
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.action, 'build-requested');
    assert.equal(await buildMessages(), before + 1);
    const event = await lastEvent<BuildRequested>(Subjects.BuildRequested);
    assert.deepEqual(event.payload, {
      buildId: res.json.buildId,
      service: 'hello',
      gitUrl: 'git@github.com:org/hello.git',
      commitSha: SHA,
      dockerfile: '',
      context: '',
      buildArgs: {},
      requestedBy: 'jenkins:services-hello#7',
      force: false,
      skipPipeline: false,
    });
    assert.deepEqual([event.envelope.id, event.envelope.correlationId, event.envelope.source], [res.json.eventId, res.json.buildId, 'jenkins-hook']);
    assert.match(String(res.json.buildId), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("without git data uses the GIT_SHA parameter and the service's git_url, and ORZO_SERVICE over the job name", async () => {
    const res = await notify(notification(3, { scm: {}, parameters: { ORZO_SERVICE: 'hello', GIT_SHA: 'ABCDEF1' } }, 'pipeline-of-hello'));
    assert.equal(res.status, 202, res.text);
    const event = await lastEvent<BuildRequested>(Subjects.BuildRequested);
    assert.deepEqual(
      [event.payload.service, event.payload.commitSha, event.payload.gitUrl, event.payload.requestedBy],
      ['hello', 'abcdef1', join(soaDir, '..', 'services', 'hello'), 'jenkins:pipeline-of-hello#3'],
    );
  });

  it('with ORZO_IMAGE announces the image Jenkins built as external build.image-built', async () => {
    const before = await buildMessages();
    const image = 'registry.example:5000/services-hello:orzo-9f1c2b3';
    const res = await notify(notification(8, { parameters: { ORZO_IMAGE: image } }));
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.action, 'image-built');
    assert.equal(await buildMessages(), before + 1);
    const event = await lastEvent<BuildImageBuilt>(Subjects.BuildImageBuilt);
    assert.deepEqual(event.payload, {
      buildId: res.json.buildId,
      service: 'hello',
      commitSha: SHA,
      image,
      imageId: '',
      digest: '',
      external: true,
      skipPipeline: false,
    });
    assert.equal(event.envelope.id, res.json.eventId);
  });

  it('the same notification twice publishes one event; the repeat answers 200 duplicate', async () => {
    const first = await notify(notification(9));
    assert.equal(first.status, 202, first.text);
    const before = await buildMessages();
    const again = await notify(notification(9));
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.duplicate, true);
    assert.equal(await buildMessages(), before);
  });

  it('a retry after a crash between publish and record is dropped by JetStream (same event id)', async () => {
    const first = await notify(notification(10));
    assert.equal(first.status, 202, first.text);
    const before = await buildMessages();
    // As if the process died after the publish and before the insert.
    await app.get(DatabaseHolder).database.em().execute('delete from hook_delivery where key = ?', ['jenkins:services-hello#10:FINALIZED']);
    const retry = await notify(notification(10));
    assert.equal(retry.status, 202, retry.text);
    assert.equal(retry.json.eventId, first.json.eventId);
    assert.equal(await buildMessages(), before, 'the broker dropped the second copy');
  });

  it('STARTED, COMPLETED and non-SUCCESS results are recorded, listed newest first, and publish nothing', async () => {
    const before = await buildMessages();
    const sent: Array<[string, string | undefined]> = [
      ['STARTED', undefined],
      ['COMPLETED', 'FAILURE'],
      ['FINALIZED', 'FAILURE'],
    ];
    for (const [phase, status] of sent) {
      const res = await notify(notification(11, { phase, status, scm: {} }));
      assert.equal(res.status, 202, res.text);
      assert.deepEqual([res.json.accepted, res.json.action, res.json.phase], [true, 'recorded', phase]);
    }
    assert.equal((await notify(notification(11, { phase: 'STARTED', scm: {} }))).json.duplicate, true, 'each phase once');
    assert.equal(await buildMessages(), before);
    const recorded = (await list('?service=hello&limit=3')).map((d) => [d.job, d.number, d.phase, d.status, d.action, d.eventId]);
    assert.deepEqual(recorded, [
      ['services-hello', 11, 'FINALIZED', 'FAILURE', 'recorded', null],
      ['services-hello', 11, 'COMPLETED', 'FAILURE', 'recorded', null],
      ['services-hello', 11, 'STARTED', null, 'recorded', null],
    ]);
    const acted = (await list()).find((d) => d.key === 'jenkins:services-hello#7:FINALIZED')!;
    assert.equal(acted.action, 'build-requested');
    assert.match(String(acted.eventId), /^[0-9a-f-]{36}$/);
    assert.match(String(acted.detail), /orzo.build.requested.v1 hello at 9f1c2b3a/);
    assert.deepEqual(await list('?service=nosuch'), []);
  });

  it('accepts the token as Basic password, ?token=, X-Orzo-Token and Bearer', async () => {
    const ways: Array<[string, Record<string, string>]> = [
      ['/v1/jenkins/notification', { authorization: basic('anyone', TOKEN) }],
      [`/v1/jenkins/notification?token=${TOKEN}`, {}],
      ['/v1/jenkins/notification', { 'x-orzo-token': TOKEN }],
      ['/v1/jenkins/notification', { authorization: `Bearer ${TOKEN}` }],
    ];
    let number = 20;
    for (const [path, headers] of ways) {
      const res = await post(path, notification(number++), headers);
      assert.equal(res.status, 202, `${path} ${JSON.stringify(headers)}: ${res.text}`);
    }
  });

  it('refuses every bad input with a clear JSON error and publishes nothing', async () => {
    const before = await buildMessages();
    const rowsBefore = (await list('?limit=500')).length;
    const big = JSON.stringify(notification(30, { log: 'x'.repeat(MAX_BYTES * 4) }));
    const cases: Array<[string, () => Promise<Answer>, number, RegExp]> = [
      ['malformed JSON', () => notify('{"name": "services-hello", "build": {'), 400, /request body is not valid JSON: .*position/],
      ['empty body', () => notify(''), 400, /request body is empty/],
      ['not an object', () => notify('[1,2]'), 400, /body must be a JSON object/],
      [
        'missing fields',
        () => notify({ build: { status: 'SUCCESS' } }),
        400,
        /name \(the job name\) is required; build.number must be a non-negative integer \(got nothing\); build.phase is required/,
      ],
      ['no commit', () => notify(notification(31, { scm: {} })), 400, /a commit is required for a FINALIZED SUCCESS build/],
      ['bad commit', () => notify(notification(31, { parameters: { GIT_SHA: 'main' } })), 400, /build.parameters.GIT_SHA "main" is not a hex git sha/],
      [
        'unknown service by parameter',
        () => notify(notification(31, { parameters: { ORZO_SERVICE: 'nosuch' } })),
        404,
        /unknown service nosuch.*build parameter ORZO_SERVICE/,
      ],
      [
        'unknown service by job name',
        () => notify(notification(31, {}, 'services-helo')),
        404,
        /unknown service helo.*did you mean hello\?.*set build parameter ORZO_SERVICE/,
      ],
      ['oversized body', () => notify(big), 413, /larger than 4096 bytes/],
      [
        'oversized chunked body',
        () => call(port, 'POST', '/v1/jenkins/notification', { body: big, headers: auth, chunked: true }),
        413,
        /larger than 4096 bytes/,
      ],
      ['no token', () => notify(notification(32), {}), 401, /a token is required/],
      ['wrong token', () => notify(notification(32), { authorization: basic('jenkins', 'not-the-token') }), 401, /the token is wrong/],
      ['wrong query token', () => post('/v1/jenkins/notification?token=nope', notification(32), {}), 401, /the token is wrong/],
      [
        'webhook without signature',
        () => post('/v1/webhooks/build', JSON.stringify({ service: 'hello', sha: SHA }), { 'x-orzo-token': TOKEN }),
        401,
        /X-Hub-Signature-256 header is required/,
      ],
      [
        'webhook with a wrong signature',
        () => webhook(JSON.stringify({ service: 'hello', sha: SHA }), { 'x-hub-signature-256': signatureOf('wrong secret', '{}') }),
        401,
        /does not match the body/,
      ],
      ['webhook signed but no token', () => post('/v1/webhooks/build', '{}', { 'x-hub-signature-256': signatureOf(SECRET, '{}') }), 401, /a token is required/],
      [
        'webhook bad fields',
        () => webhook(JSON.stringify({ sha: 'zz', image: 7 })),
        400,
        /service is required; image must be a string \(got 7\); sha "zz" is not a hex git sha/,
      ],
      ['webhook unknown service', () => webhook(JSON.stringify({ service: 'nosuch', sha: SHA })), 404, /unknown service nosuch/],
      ['webhook malformed JSON', () => webhook('{service:'), 400, /not valid JSON/],
      ['list without token', () => call(port, 'GET', '/v1/jenkins/notifications'), 401, /a token is required/],
      ['list with a bad limit', () => call(port, 'GET', '/v1/jenkins/notifications?limit=0', { headers: auth }), 400, /limit must be an integer from 1 to 500/],
    ];
    for (const [what, send, status, message] of cases) {
      const res = await send();
      assert.equal(res.status, status, `${what}: ${res.text}`);
      assert.equal(typeof res.json.error, 'string', `${what}: answered ${res.text}`);
      assert.match(res.json.error as string, message, what);
    }
    assert.equal(await buildMessages(), before, 'nothing was published');
    assert.equal((await list('?limit=500')).length, rowsBefore, 'nothing was recorded');
  });

  it('the generic webhook, signed, asks for a build; a repeated delivery id or body is a duplicate', async () => {
    const before = await buildMessages();
    const body = JSON.stringify({
      service: 'hello',
      sha: 'ABCDEF0123',
      git_url: 'https://git.example/hello.git',
      dockerfile: 'docker/Dockerfile',
      context: 'app',
    });
    const res = await webhook(body, { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    assert.equal(res.status, 202, res.text);
    const event = await lastEvent<BuildRequested>(Subjects.BuildRequested);
    assert.deepEqual(
      [event.payload.service, event.payload.commitSha, event.payload.gitUrl, event.payload.dockerfile, event.payload.context, event.payload.requestedBy],
      ['hello', 'abcdef0123', 'https://git.example/hello.git', 'docker/Dockerfile', 'app', 'webhook:72d3162e-cc78-11e3-81ab-4c9367dc0958'],
    );
    assert.equal((await webhook(body, { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })).json.duplicate, true);
    const image = JSON.stringify({ service: 'hello', sha: SHA, image: 'services-hello:orzo-9f1c2b3' });
    assert.equal((await webhook(image)).status, 202);
    assert.equal((await lastEvent<BuildImageBuilt>(Subjects.BuildImageBuilt)).payload.external, true);
    const repeat = await webhook(image);
    assert.deepEqual([repeat.status, repeat.json.duplicate], [200, true], 'no delivery header: the body hash is the key');
    assert.equal(await buildMessages(), before + 2);
  });

  it('while NATS is down answers 503 and records nothing, so the retry acts once NATS is back', async () => {
    const before = await buildMessages();
    await nats.stop();
    const down = await notify(notification(40));
    assert.equal(down.status, 503, down.text);
    assert.match(down.json.error as string, /event bus is unavailable.*retry the delivery/);
    await nats.start();
    // A stream-info request sent during the reconnect waits its full 5s timeout: probe briefly instead.
    await waitFor(() => Promise.race([buildMessages().catch(() => undefined), sleep(300).then(() => undefined)]), { what: 'JetStream back' });
    const retry = await notify(notification(40));
    assert.equal(retry.status, 202, retry.text);
    // The timed-out publish may land late, with the same id: still one event.
    await sleep(500);
    assert.equal(await buildMessages(), before + 1);
  });

  it('without ORZO_JENKINS_TOKEN the service starts and refuses every webhook with 503', async () => {
    const unconfigured = await boot({});
    for (const [method, path] of [
      ['POST', '/v1/jenkins/notification'],
      ['POST', '/v1/webhooks/build'],
      ['GET', '/v1/jenkins/notifications'],
    ]) {
      const res = await call(unconfigured.port, method!, path!, { body: method === 'POST' ? JSON.stringify(notification(50)) : undefined, headers: auth });
      assert.equal(res.status, 503, `${method} ${path}: ${res.text}`);
      assert.match(res.json.error as string, /ORZO_JENKINS_TOKEN is not configured/);
    }
    assert.equal((await call(unconfigured.port, 'GET', '/healthz')).status, 200);
  });
});
