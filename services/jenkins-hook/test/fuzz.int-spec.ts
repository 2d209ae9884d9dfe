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
import { DatabaseHolder } from '@orzo/persistence';
import { createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, startNatsServer } from '@orzo/testing';
import fc from 'fast-check';
import { jenkinsHook } from '../src/definition';
import { signatureOf } from '../src/hook-auth';

const soaDir = join(__dirname, '..', '..', '..', '..', 'examples', 'soa-configs');
const TOKEN = 'jenkins-fuzz-token';
const SECRET = 'fuzz-secret';
const MAX_BYTES = 64 * 1024;
const SHA = '9f1c2b3a4d5e6f708192a3b4c5d6e7f809102030';
const SEED = Number(process.env.ORZO_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.ORZO_FUZZ_RUNS ?? 300);

interface Req {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}
interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** One request over node:http with a hard timeout; a write error after the answer is ignored. */
function send(port: number, r: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers = { ...r.headers, 'content-length': String(r.body.length) };
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${r.method} ${r.path}: no answer within 10s`)));
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(r.body);
  });
}

// Header values node:http will send: visible ASCII and Latin-1, no control characters.
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x20 : c)), maxLength: 80 });
const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', 'x\u0000y', '../..', 'hello', 'services-hello', 'HELLO'),
);
const huge = fc.tuple(fc.constantFrom('x', '👍', '\u0000'), fc.integer({ min: 1_000, max: 20_000 })).map(([s, n]) => s.repeat(n));
/** Any JSON value, a value of the expected kind now and then. */
const value = (real: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 16, arbitrary: real }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }, { weight: 1, arbitrary: huge });

/** Mostly `usual`, now and then `odd`. */
const rarely = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: usual }, { weight: 1, arbitrary: odd });
const sha = fc.constantFrom(SHA, SHA.toUpperCase(), 'abcdef1', 'HEAD', '', 'g'.repeat(40), `${SHA} `);
const image = fc.constantFrom('registry.example:5000/services-hello:orzo-9f1c2b3', 'services-hello:1', 'not an image', '-x', '');
const service = fc.oneof({ weight: 5, arbitrary: fc.constant('hello') }, fc.constantFrom('nosuch', 'helo', '', 'HELLO', ' hello '));
const phase = fc.constantFrom('QUEUED', 'STARTED', 'COMPLETED', 'FINALIZED', 'finalized', 'DONE', '');
const buildStatus = fc.constantFrom('SUCCESS', 'FAILURE', 'ABORTED', 'success', '');

/** A Notification plugin body, each part of the right shape most of the time. */
const notification = fc.record(
  {
    name: value(fc.oneof({ weight: 3, arbitrary: fc.constantFrom('services-hello', 'pipeline-of-hello', 'services-nosuch') }, anyText)),
    build: value(
      fc.record(
        {
          number: value(fc.oneof({ weight: 8, arbitrary: fc.nat() }, fc.integer(), fc.double(), fc.constant(2 ** 60))),
          phase: value(phase),
          status: value(buildStatus),
          full_url: value(rarely(fc.constant('https://ci.example/job/services-hello/1/'), fc.constantFrom('https://ci.example/\u0000', 'u'.repeat(60_000)))),
          scm: value(
            fc.record(
              { url: value(rarely(fc.constantFrom('git@github.com:org/hello.git', ''), fc.constant('u'.repeat(60_000)))), commit: value(sha) },
              { requiredKeys: [] },
            ),
          ),
          parameters: value(
            fc.record(
              { ORZO_SERVICE: value(service), GIT_SHA: value(sha), GIT_COMMIT: value(sha), ORZO_IMAGE: value(image), DOCKER_IMAGE: value(image) },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: ['number', 'phase', 'status', 'scm'] },
      ),
    ),
  },
  { requiredKeys: ['name', 'build'] },
);

/** A generic CI body {service, sha, image?, git_url?, dockerfile?, context?}. */
const generic = fc.record(
  {
    service: value(service),
    sha: value(sha),
    image: value(image),
    git_url: value(rarely(fc.constantFrom('https://git.invalid/hello.git', '/nonexistent/repo', ''), fc.constant('u'.repeat(60_000)))),
    dockerfile: value(rarely(fc.constantFrom('Dockerfile', 'sub/Dockerfile'), fc.constantFrom('/etc/passwd', '../Dockerfile'))),
    context: value(rarely(fc.constantFrom('.', 'sub'), fc.constantFrom('..', 'C:\\x'))),
  },
  { requiredKeys: ['service', 'sha'] },
);

const deep = fc.tuple(fc.constantFrom('[', '{"a":'), fc.integer({ min: 100, max: 20_000 })).map(([open, n]) => {
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(n)}1${close.repeat(n)}`;
});

/** Body bytes: a JSON document of the endpoint's shape or of any shape, or no JSON at all. */
const body = (shape: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 14, arbitrary: shape.map((v) => Buffer.from(JSON.stringify(v))) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: deep.map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: shape.map((v) => Buffer.from(`\uFEFF${JSON.stringify(v)}`)) },
    // Cut short, and one byte over the limit.
    { weight: 1, arbitrary: shape.map((v) => Buffer.from(JSON.stringify(v)).subarray(0, 10)) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(MAX_BYTES + 1, 0x20)) },
    { weight: 1, arbitrary: fc.constantFrom('', '   ', 'null', '[]', '"x"', '{"__proto__": {"name": "x"}}').map((s) => Buffer.from(s)) },
  );

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** The token presented some right way, some wrong way, or not at all; plus other headers of any value. */
const authHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { authorization: basic('jenkins', TOKEN) },
      { authorization: `Bearer ${TOKEN}` },
      { 'x-orzo-token': TOKEN },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof<fc.Arbitrary<Record<string, string>>[]>(
      headerText.map((h) => ({ authorization: h })),
      headerText.map((h) => ({ authorization: `Basic ${h}` })),
      headerText.map((h) => ({ authorization: `Bearer ${h}` })),
      headerText.map((h) => ({ 'x-orzo-token': h })),
      fc.constant({ authorization: basic('', '') }),
      fc.constant({}),
    ),
  },
);
const contentType = fc.option(
  fc.oneof(fc.constantFrom('application/json', 'application/json;charset=UTF-8', 'text/plain', 'application/x-www-form-urlencoded'), headerText),
  { nil: undefined },
);
const query = fc
  .option(
    fc.array(
      fc.tuple(
        fc.constantFrom('token', 'limit', 'service', 'x'),
        fc.oneof(fc.constantFrom(TOKEN, '10', '0', '-1', '1e3', '501', 'hello'), fc.string({ maxLength: 20 })),
      ),
      { maxLength: 3 },
    ),
    { nil: undefined },
  )
  .map((q) => (q?.length ? `?${q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''));

const notificationRequest = fc.tuple(body(notification), authHeaders, contentType, query).map(([b, auth, ct, q]): Req => ({
  method: 'POST',
  path: `/v1/jenkins/notification${q}`,
  headers: { ...auth, ...(ct ? { 'content-type': ct } : {}) },
  body: b,
}));
const genericRequest = fc
  .tuple(
    body(generic),
    authHeaders,
    contentType,
    query,
    fc.oneof({ weight: 4, arbitrary: fc.constant('sign') }, { weight: 1, arbitrary: fc.option(headerText, { nil: undefined }) }),
    fc.option(fc.oneof(fc.uuid(), headerText), { nil: undefined }),
  )
  .map(([b, auth, ct, q, signature, delivery]): Req => {
    const headers: Record<string, string> = {
      ...auth,
      ...(ct ? { 'content-type': ct } : {}),
      ...(delivery !== undefined ? { 'x-github-delivery': delivery } : {}),
    };
    if (signature === 'sign') headers['x-hub-signature-256'] = signatureOf(SECRET, b);
    else if (signature !== undefined) headers['x-hub-signature-256'] = signature;
    return { method: 'POST', path: `/v1/webhooks/build${q}`, headers, body: b };
  });
const listRequest = fc
  .tuple(authHeaders, query)
  .map(([auth, q]): Req => ({ method: 'GET', path: `/v1/jenkins/notifications${q}`, headers: auth, body: Buffer.alloc(0) }));

describe('jenkins-hook under fuzzed bodies, headers and query strings, on real NATS and SQLite', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let port: number;

  before(async () => {
    nats = await startNatsServer();
    const ctx = prepareService(jenkinsHook, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-jenkins-hook-fuzz-')),
      ORZO_LOG_LEVEL: 'silent',
      ORZO_SOA_DIR: soaDir,
      ORZO_JENKINS_TOKEN: TOKEN,
      ORZO_WEBHOOK_SECRET: SECRET,
      ORZO_WEBHOOK_MAX_BYTES: String(MAX_BYTES),
    });
    assert.ok(ctx, 'the config is valid');
    await jenkinsHook.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, jenkinsHook.module(ctx));
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  after(async () => {
    await app?.close();
    await nats?.dispose();
  });

  /** Messages in every JetStream stream and recorded deliveries: what a refused request must not change. */
  const published = async (): Promise<string> => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const counts: string[] = [];
    for await (const si of jsm.streams.list()) counts.push(`${si.config.name}=${si.state.messages}`);
    const [row] = await app.get(DatabaseHolder).database.em().execute<Array<{ n: number }>>('select count(*) as n from hook_delivery');
    return [...counts.sort(), `deliveries=${row?.n}`].join(' ');
  };

  const cases: Array<[string, fc.Arbitrary<Req>]> = [
    ['POST /v1/jenkins/notification', notificationRequest],
    ['POST /v1/webhooks/build', genericRequest],
    ['GET /v1/jenkins/notifications', listRequest],
  ];
  for (const [endpoint, requests] of cases) {
    it(`${endpoint}: every answer is 200/202 for a valid request or a 4xx {"error"} that publishes and records nothing`, async (t) => {
      const statuses = new Map<number, number>();
      const result = await fc.check(
        fc.asyncProperty(requests, async (r) => {
          const before = await published();
          const answer = await send(port, r);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const what = `${r.method} ${r.path.slice(0, 200)} ${JSON.stringify(r.headers).slice(0, 300)} body ${r.body.length} bytes ${JSON.stringify(r.body.subarray(0, 200).toString())}: ${answer.status} ${answer.text.slice(0, 300)}`;
          assert.match(answer.contentType, /^application\/json/, `not JSON: ${what}`);
          const json = JSON.parse(answer.text) as Record<string, unknown>;
          if (answer.status === 200 || answer.status === 202) {
            assert.ok(json.accepted === true || json.duplicate === true || Array.isArray(json.deliveries), `an odd success: ${what}`);
            return;
          }
          assert.ok([400, 401, 404, 413, 422].includes(answer.status), `unexpected status: ${what}`);
          assert.equal(typeof json.error, 'string', `no error message: ${what}`);
          assert.ok(
            (json.error as string).trim().length > 0 && (json.error as string).length <= 1_000,
            `error message empty or ${(json.error as string).length} characters: ${what}`,
          );
          assert.equal(await published(), before, `a refused request published or recorded something: ${what}`);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      if (result.failed) {
        const error = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        assert.fail(
          `${endpoint} failed after ${result.numRuns} runs (seed ${result.seed}, path ${result.counterexamplePath}; ORZO_FUZZ_SEED reruns it): ${error.slice(0, 1_500)}`,
        );
      }
      t.diagnostic(`${endpoint}: ${RUNS} runs, seed ${SEED}: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(', ')}`);
    });
  }

  it('still answers a valid delivery after the runs', async () => {
    const delivery = JSON.stringify({ name: 'services-hello', build: { number: 424242, phase: 'FINALIZED', status: 'SUCCESS', scm: { commit: SHA } } });
    const answer = await send(port, {
      method: 'POST',
      path: '/v1/jenkins/notification',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: Buffer.from(delivery),
    });
    assert.equal(answer.status, 202, answer.text);
  });
});
