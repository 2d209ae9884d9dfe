import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication } from '@nestjs/common';
import { ServiceError, credentials, status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { api, bearer } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { NatsServerHandle, startNatsServer } from '@orzo/testing';
import { ControlApiRig, callUnary, startControlApi } from './control-api-rig';

const SHA = 'b1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
type Method = keyof typeof api.ControlApiService;

/**
 * Per RPC: a request that passes validation, and the scope it needs (`service`: the scope
 * limited to hello covers it; `any`: every valid token may call it). The test fails when an RPC
 * of the API is missing here, so a new RPC cannot ship without its door.
 */
const TABLE: Record<Method, { req: object; needs: 'read' | 'deploy' | 'build' | 'operate' | 'admin' | 'any'; service?: boolean; maySayNo?: boolean }> = {
  markForDeployment: {
    req: { service: 'hello', deployGroup: 'local.main', image: '', commitSha: SHA, requestedBy: 'mallory' },
    needs: 'deploy',
    service: true,
  },
  getStatus: { req: { service: 'hello', cluster: '', instance: '' }, needs: 'read' },
  listServices: { req: {}, needs: 'read' },
  requestBuild: {
    req: { service: 'hello', commitSha: SHA, gitUrl: '', dockerfile: '', context: '', buildArgs: {}, requestedBy: 'mallory', force: false, skipPipeline: true },
    needs: 'build',
    service: true,
  },
  // No builder runs here: past the door, a cancel is refused as UNAVAILABLE.
  cancelBuild: { req: { buildId: '6f1a8b4e-3c0d-4f5e-9a7b-2c1d0e9f8a7b' }, needs: 'build', maySayNo: true },
  listBuilds: { req: { service: 'hello', limit: 5 }, needs: 'read' },
  getBuildLog: { req: { service: 'hello', buildId: '', follow: false }, needs: 'read' },
  getLatestDeployment: { req: { service: 'hello', deployGroup: 'local.main' }, needs: 'read' },
  getHistory: { req: { service: 'hello', limit: 5 }, needs: 'read' },
  listDeadLetters: { req: { consumer: '', limit: 5 }, needs: 'read' },
  createToken: { req: { name: 'made-in-table', scopes: ['read'], expires: '' }, needs: 'admin' },
  listTokens: { req: { includeRevoked: true }, needs: 'admin' },
  revokeToken: { req: { name: 'victim' }, needs: 'admin' },
  whoAmI: { req: {}, needs: 'any' },
  watchEvents: { req: { services: [], kinds: [], since: '', position: '', noFollow: true }, needs: 'read' },
  // No monitor-bridge or scheduler-bridge runs here, and nothing was deployed to roll back or
  // restart: past the door, these may be refused for what they ask (never for who asks).
  listAlerts: { req: { service: 'hello' }, needs: 'read', maySayNo: true },
  rollback: { req: { service: 'hello', deployGroup: 'local.main', commitSha: '', requestedBy: 'mallory' }, needs: 'operate', service: true, maySayNo: true },
  listDeployments: { req: { service: 'hello', deployGroup: 'local.main', limit: 5 }, needs: 'read' },
  getPipeline: { req: { service: 'hello' }, needs: 'read' },
  stopInstance: { req: { service: 'hello', cluster: 'local', instance: 'main', requestedBy: 'mallory' }, needs: 'operate', service: true },
  startInstance: { req: { service: 'hello', cluster: 'local', instance: 'main', requestedBy: 'mallory' }, needs: 'operate', service: true },
  restartInstance: {
    req: { service: 'hello', cluster: 'local', instance: 'main', replicaId: '', requestedBy: 'mallory' },
    needs: 'operate',
    service: true,
    maySayNo: true,
  },
  autoscale: {
    req: { service: 'hello', cluster: 'local', instance: 'main', hasSet: true, set: 2, expireAfter: '', clear: false, requestedBy: 'mallory' },
    needs: 'operate',
    service: true,
  },
  getInstanceLogs: {
    req: { service: 'hello', cluster: '', instance: '', replicaId: '', follow: false, lines: 10, since: '', stream: '' },
    needs: 'read',
    maySayNo: true,
  },
  // hello has no timed jobs: past the door, the ones that name a job are refused as NOT_FOUND.
  listJobs: { req: { service: 'hello', cluster: '' }, needs: 'read' },
  runJob: { req: { service: 'hello', cluster: '', job: 'nightly', action: '', requestedBy: 'mallory' }, needs: 'operate', service: true, maySayNo: true },
  jobHistory: { req: { service: 'hello', job: 'nightly', limit: 5, cluster: '' }, needs: 'read', maySayNo: true },
  getJobRun: { req: { runId: 'hello.nightly.local.1', service: '', job: '' }, needs: 'read', maySayNo: true },
  setJobEnabled: {
    req: { service: 'hello', job: 'nightly', cluster: '', enabled: false, requestedBy: 'mallory' },
    needs: 'operate',
    service: true,
    maySayNo: true,
  },
  // hello has no adhoc instance: past the door, not-found, and nothing runs.
  remoteRun: {
    req: { service: 'hello', cluster: 'local', instance: 'main', cmd: 'echo hi', maxDurationSeconds: 0, requestedBy: 'mallory' },
    needs: 'operate',
    service: true,
    maySayNo: true,
  },
  // An add after the first says it exists, an update before it or a remove after it not-found: for what is asked.
  addSecret: {
    req: { service: 'hello', name: 'table_secret', value: Buffer.from('v1'), requestedBy: 'mallory' },
    needs: 'operate',
    service: true,
    maySayNo: true,
  },
  updateSecret: {
    req: { service: 'hello', name: 'table_secret', value: Buffer.from('v2'), requestedBy: 'mallory' },
    needs: 'operate',
    service: true,
    maySayNo: true,
  },
  listSecrets: { req: { service: 'hello' }, needs: 'read' },
  removeSecret: { req: { service: 'hello', name: 'table_secret', requestedBy: 'mallory' }, needs: 'operate', service: true, maySayNo: true },
  applyConfig: { req: { service: 'hello', dryRun: false, requestedBy: 'mallory' }, needs: 'operate', service: true },
};

interface Reply {
  code: status;
  details: string;
}

/** One call of any method (a stream is read to its end); never rejects. */
function callAny(client: api.ControlApiClient, method: Method, req: object): Promise<Reply> {
  const deadline = new Date(Date.now() + 10_000);
  if (api.ControlApiService[method].responseStream) {
    return new Promise((resolve) => {
      const stream = (client[method] as unknown as (r: object, m: undefined, o: object) => NodeJS.EventEmitter)(req, undefined, { deadline });
      stream.on('data', () => undefined);
      stream.on('error', () => undefined);
      stream.on('status', (s: Reply) => resolve({ code: s.code, details: s.details }));
    });
  }
  return callUnary(client, method as Exclude<Method, 'getBuildLog' | 'watchEvents'>, req).then(
    () => ({ code: status.OK, details: '' }),
    (err: ServiceError) => ({ code: err.code, details: err.details }),
  );
}

describe('API tokens: every RPC refused without the right token, nothing changed; allowed with it, the token named in history', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;
  let app: INestApplication;
  const clients: api.ControlApiClient[] = [];
  const clientWith = (token: string | undefined) => {
    const c = new api.ControlApiClient(rig.address, credentials.createInsecure(), { interceptors: [bearer(token)] });
    clients.push(c);
    return c;
  };
  const admin = () => rig.client;
  const create = (name: string, scopes: string[], expires = '') =>
    callUnary<api.CreateTokenRequest, api.CreateTokenResponse>(admin(), 'createToken', { name, scopes, expires }).then((r) => r.token);

  /** Everything a refused call must leave as it was: every stream's messages and every table's rows. */
  const state = async (): Promise<string> => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const parts: string[] = [];
    for await (const si of jsm.streams.list()) parts.push(`${si.config.name}=${si.state.messages}`);
    const em = app.get(DatabaseHolder).database.em();
    for (const table of ['control_deploy_mark', 'control_history', 'control_outbox', 'control_api_token']) {
      const [row] = await em.execute<Array<{ n: number }>>(`select count(*) as n from ${table}`);
      parts.push(`${table}=${row?.n}`);
    }
    const [revoked] = await em.execute<Array<{ n: number }>>('select count(*) as n from control_api_token where revoked_at is not null');
    return [...parts.sort(), `revoked=${revoked?.n}`].join(' ');
  };

  before(async () => {
    nats = await startNatsServer();
    // Hundreds of refusals from 127.0.0.1 here: the slowdown has its own test below.
    rig = await startControlApi(nats, { env: { ORZO_AUTH_FREE_FAILURES: '100000' } });
    app = rig.app;
  });
  after(async () => {
    for (const c of clients) c.close();
    await rig?.close();
    await nats?.dispose();
  });

  it('lists every RPC of the API in the table', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), Object.keys(api.ControlApiService).sort());
  });

  it('refuses every RPC with no token, a malformed, unknown, expired or revoked token (UNAUTHENTICATED) and changes nothing', async () => {
    const expired = await create('expires-soon', ['admin'], '1s');
    const revoked = await create('revoked-one', ['admin']);
    await callUnary(admin(), 'revokeToken', { name: 'revoked-one' });
    await create('victim', ['read']);
    await sleep(1_100);
    const unknown = `orzo_0123456789ab_${'A'.repeat(43)}`;
    // orzo_<12 hex id>_<43 base64url characters, which may hold "_" themselves>
    const idOf = (token: string) => token.slice('orzo_'.length, 'orzo_'.length + 12);
    const wrongSecret = `orzo_${idOf(revoked)}_${'B'.repeat(43)}`;
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['no token', undefined, /no token/],
      ['not an orzo token', 'hunter2', /not "Bearer <orzo token>"/],
      ['an unknown token', unknown, /unknown token/],
      ['an expired token', expired, /expired/],
      ['a revoked token', revoked, /revoked/],
      ['a wrong secret for a real id', wrongSecret, /revoked|unknown token/],
    ];
    const before = await state();
    for (const [what, token, message] of cases) {
      const client = clientWith(token);
      for (const [method, row] of Object.entries(TABLE) as Array<[Method, (typeof TABLE)[Method]]>) {
        const reply = await callAny(client, method, row.req);
        assert.equal(reply.code, status.UNAUTHENTICATED, `${method} with ${what}: ${status[reply.code]} ${reply.details}`);
        assert.match(reply.details, message, `${method} with ${what}`);
      }
    }
    assert.equal(await state(), before, 'a refused call changed something');
  });

  it('refuses a token of the wrong scope or the wrong service (PERMISSION_DENIED) and changes nothing', async () => {
    const tokens: Record<string, string> = {
      read: await create('reader', ['read']),
      'deploy:other': await create('deploys-other', ['deploy:other', 'build:other']),
      'operate:hello': await create('operates-hello', ['operate:hello']),
    };
    const before = await state();
    let refused = 0;
    for (const [scopes, token] of Object.entries(tokens)) {
      const client = clientWith(token);
      for (const [method, row] of Object.entries(TABLE) as Array<[Method, (typeof TABLE)[Method]]>) {
        const covered = row.needs === 'any' || scopes === row.needs || (scopes === `${row.needs}:hello` && !!row.service);
        if (covered) continue;
        const reply = await callAny(client, method, row.req);
        assert.equal(reply.code, status.PERMISSION_DENIED, `${method} with ${scopes}: ${status[reply.code]} ${reply.details}`);
        assert.match(reply.details, new RegExp(`needs ${row.needs}`), `${method} with ${scopes}`);
        refused++;
      }
    }
    assert.ok(refused >= 30, `${refused} refusals`);
    assert.equal(await state(), before, 'a refused call changed something');
  });

  it('allows each RPC with a token of its scope (limited to the service where the RPC names one); history names the token', async () => {
    // A scope limited to hello for the RPCs that name a service, the global one for the others.
    const scoped: Record<string, string> = {
      read: await create('ci-reader', ['read']),
      deploy: await create('ci-deploy-hello', ['deploy:hello']),
      build: await create('ci-build-hello', ['build:hello']),
      'build-all': await create('ci-build-all', ['build']),
      operate: await create('ci-operate-hello', ['operate:hello']),
      admin: rig.adminToken,
      any: await create('anyone', ['operate:hello']),
    };
    for (const [method, row] of Object.entries(TABLE) as Array<[Method, (typeof TABLE)[Method]]>) {
      const token = scoped[row.needs === 'build' && !row.service ? 'build-all' : row.needs];
      const reply = await callAny(clientWith(token), method, row.req);
      // Past the door: OK, or a refusal of the request itself (no builder runs here to cancel a build).
      assert.ok(![status.UNAUTHENTICATED, status.PERMISSION_DENIED].includes(reply.code), `${method}: ${status[reply.code]} ${reply.details}`);
      if (!row.maySayNo) assert.equal(reply.code, status.OK, `${method}: ${status[reply.code]} ${reply.details}`);
    }
    const [mark] = await app
      .get(DatabaseHolder)
      .database.em()
      .execute<Array<{ requested_by: string }>>('select requested_by from control_deploy_mark order by created_at desc limit 1');
    assert.equal(mark?.requested_by, 'ci-deploy-hello', 'the actor is the token, not the "mallory" of the request body');
    const history = await callUnary<api.GetHistoryRequest, api.GetHistoryResponse>(admin(), 'getHistory', { service: 'hello', limit: 10 });
    assert.ok(
      history.entries.some((e) => e.kind === 'mark' && e.actor === 'ci-deploy-hello'),
      JSON.stringify(history.entries),
    );
    const me = await callUnary<api.WhoAmIRequest, api.WhoAmIResponse>(clientWith(scoped.deploy), 'whoAmI', {});
    assert.deepEqual(me, { name: 'ci-deploy-hello', scopes: ['deploy:hello'] });
  });

  it('lists tokens without their secrets, with creator and last use; the secret is stored only as a hash', async () => {
    const token = await create('listed', ['read'], '90d');
    await callUnary(clientWith(token), 'listServices', {});
    const { tokens } = await callUnary<api.ListTokensRequest, api.ListTokensResponse>(admin(), 'listTokens', { includeRevoked: false });
    const listed = tokens.find((t) => t.name === 'listed');
    assert.ok(listed);
    assert.equal(listed.createdBy, rig.adminName);
    assert.ok(listed.lastUsedAt, 'last use recorded');
    assert.ok(Date.parse(listed.expiresAt) > Date.now() + 89 * 86400_000);
    assert.ok(!tokens.some((t) => t.name === 'revoked-one'), 'revoked tokens only with include_revoked');
    const rows = await app.get(DatabaseHolder).database.em().execute<Array<{ secret_hash: string }>>('select secret_hash from control_api_token');
    const secret = token.slice('orzo_'.length + 13);
    assert.equal(secret.length, 43);
    assert.ok(rows.every((r) => r.secret_hash.startsWith('scrypt$') && !r.secret_hash.includes(secret)));
    const dup = await callAny(admin(), 'createToken', { name: 'listed', scopes: ['read'], expires: '' });
    assert.equal(dup.code, status.FAILED_PRECONDITION, dup.details);
    const bad = await callAny(admin(), 'createToken', { name: 'x', scopes: ['write'], expires: '' });
    assert.equal(bad.code, status.INVALID_ARGUMENT);
    assert.match(bad.details, /unknown scope "write"/);
  });
});

describe('API tokens: a peer that keeps failing is slowed down, a good token never is', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;
  const clients: api.ControlApiClient[] = [];

  before(async () => {
    nats = await startNatsServer();
    rig = await startControlApi(nats);
  });
  after(async () => {
    for (const c of clients) c.close();
    await rig?.close();
    await nats?.dispose();
  });

  it('answers each failure past the free ones later, while the right token is answered at once', async () => {
    const guesser = new api.ControlApiClient(rig.address, credentials.createInsecure(), { interceptors: [bearer(`orzo_0123456789ab_${'C'.repeat(43)}`)] });
    clients.push(guesser);
    const times: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = Date.now();
      assert.equal((await callAny(guesser, 'listServices', {})).code, status.UNAUTHENTICATED);
      times.push(Date.now() - t);
    }
    // Five free failures (the default), then 100, 200, 400 ms: lower bounds only, never upper ones.
    assert.ok(times[7]! >= 400, `the 8th failure answered after ${times[7]} ms (${times.join(', ')})`);
    assert.equal((await callAny(rig.client, 'listServices', {})).code, status.OK, 'the same peer with a good token');
  });
});
