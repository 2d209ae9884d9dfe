import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { Client, ServiceError, credentials, status } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { api, bearer } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { NatsServerHandle, startNatsServer } from '@orzo/testing';
import fc from 'fast-check';
import { ControlApiRig, startControlApi } from './control-api-rig';
import { ProtoField, requestBytes } from './grpc-fuzz.arbitraries';

const SEED = Number(process.env.ORZO_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.ORZO_FUZZ_RUNS ?? 150);
/** Per field, values of the example soa-configs that get a request past the first checks. */
const REAL: Record<string, string[]> = {
  service: ['hello'],
  deploy_group: ['local.main'],
  image: ['', 'services-hello:1', '127.0.0.1:5000/hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
  commit_sha: ['', 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', 'a1b2c3d'],
  requested_by: ['alice'],
  cluster: ['local'],
  instance: ['main'],
  git_url: ['', '/nonexistent/repo', 'https://git.invalid/hello.git'],
  dockerfile: ['', 'Dockerfile'],
  context: ['', '.'],
  build_id: ['6f1a8b4e-3c0d-4f5e-9a7b-2c1d0e9f8a7b'],
  consumer: ['builder-on-build-requested'],
  name: ['ci-fuzz'],
  scopes: ['read', 'deploy:hello', 'admin'],
  expires: ['', '90d'],
  services: ['hello'],
  kinds: ['deploy', 'deploy.progressed'],
  since: ['', '1h'],
};

const s = (no: number, name: string): ProtoField => ({ no, name, kind: 'string', real: REAL[name] ?? [] });
interface Method {
  name: keyof typeof api.ControlApiService;
  fields: ProtoField[];
  /** Codes a refusal of this method may carry besides INVALID_ARGUMENT, NOT_FOUND and FAILED_PRECONDITION. */
  alsoAllowed?: status[];
}
const METHODS: Method[] = [
  {
    name: 'markForDeployment',
    fields: [s(1, 'service'), s(2, 'deploy_group'), s(3, 'image'), s(4, 'commit_sha'), s(5, 'requested_by'), { no: 6, name: 'auto_rollback', kind: 'bool' }],
  },
  { name: 'getStatus', fields: [s(1, 'service'), s(2, 'cluster'), s(3, 'instance')] },
  { name: 'listServices', fields: [] },
  {
    name: 'requestBuild',
    fields: [
      s(1, 'service'),
      s(2, 'commit_sha'),
      s(3, 'git_url'),
      s(4, 'dockerfile'),
      s(5, 'context'),
      { no: 6, name: 'build_args', kind: 'map' },
      s(7, 'requested_by'),
      { no: 8, name: 'force', kind: 'bool' },
      { no: 9, name: 'skip_pipeline', kind: 'bool' },
    ],
  },
  // No builder runs here: a well-formed cancel is answered UNAVAILABLE, by design.
  { name: 'cancelBuild', fields: [s(1, 'build_id')], alsoAllowed: [status.UNAVAILABLE] },
  { name: 'listBuilds', fields: [s(1, 'service'), { no: 2, name: 'limit', kind: 'uint32' }] },
  { name: 'getBuildLog', fields: [s(1, 'service'), s(2, 'build_id'), { no: 3, name: 'follow', kind: 'bool' }] },
  { name: 'getLatestDeployment', fields: [s(1, 'service'), s(2, 'deploy_group')] },
  { name: 'getHistory', fields: [s(1, 'service'), { no: 2, name: 'limit', kind: 'uint32' }] },
  { name: 'listDeadLetters', fields: [s(1, 'consumer'), { no: 2, name: 'limit', kind: 'uint32' }] },
  // No monitor-bridge runs here: a well-formed listing is answered UNAVAILABLE, by design.
  { name: 'listAlerts', fields: [s(1, 'service')], alsoAllowed: [status.UNAVAILABLE] },
  { name: 'rollback', fields: [s(1, 'service'), s(2, 'deploy_group'), s(3, 'commit_sha'), s(4, 'requested_by')] },
  { name: 'listDeployments', fields: [s(1, 'service'), s(2, 'deploy_group'), { no: 3, name: 'limit', kind: 'uint32' }] },
  { name: 'stopInstance', fields: [s(1, 'service'), s(2, 'cluster'), s(3, 'instance'), s(4, 'requested_by')] },
  { name: 'startInstance', fields: [s(1, 'service'), s(2, 'cluster'), s(3, 'instance'), s(4, 'requested_by')] },
  // No scheduler-bridge runs here: a well-formed replica restart or logs request is UNAVAILABLE, by design.
  {
    name: 'restartInstance',
    fields: [s(1, 'service'), s(2, 'cluster'), s(3, 'instance'), s(4, 'replica_id'), s(5, 'requested_by')],
    alsoAllowed: [status.UNAVAILABLE],
  },
  {
    name: 'autoscale',
    fields: [
      s(1, 'service'),
      s(2, 'cluster'),
      s(3, 'instance'),
      { no: 4, name: 'has_set', kind: 'bool' },
      { no: 5, name: 'set', kind: 'uint32' },
      s(6, 'expire_after'),
      { no: 7, name: 'clear', kind: 'bool' },
      s(8, 'requested_by'),
    ],
  },
  {
    name: 'getInstanceLogs',
    fields: [
      s(1, 'service'),
      s(2, 'cluster'),
      s(3, 'instance'),
      s(4, 'replica_id'),
      { no: 5, name: 'follow', kind: 'bool' },
      { no: 6, name: 'lines', kind: 'uint32' },
      s(7, 'since'),
      s(8, 'stream'),
    ],
    alsoAllowed: [status.UNAVAILABLE],
  },
  { name: 'listJobs', fields: [s(1, 'service'), s(2, 'cluster')] },
  { name: 'runJob', fields: [s(1, 'service'), s(2, 'cluster'), s(3, 'job'), s(4, 'action'), s(5, 'requested_by')] },
  { name: 'jobHistory', fields: [s(1, 'service'), s(2, 'job'), { no: 3, name: 'limit', kind: 'uint32' }, s(4, 'cluster')] },
  { name: 'getJobRun', fields: [s(1, 'run_id'), s(2, 'service'), s(3, 'job')] },
  { name: 'setJobEnabled', fields: [s(1, 'service'), s(2, 'job'), s(3, 'cluster'), { no: 4, name: 'enabled', kind: 'bool' }, s(5, 'requested_by')] },
  {
    name: 'remoteRun',
    fields: [s(1, 'service'), s(2, 'cluster'), s(3, 'instance'), s(4, 'cmd'), { no: 5, name: 'max_duration_seconds', kind: 'uint32' }, s(6, 'requested_by')],
    alsoAllowed: [status.UNAVAILABLE],
  },
  { name: 'createToken', fields: [s(1, 'name'), s(2, 'scopes'), s(3, 'expires')] },
  { name: 'listTokens', fields: [{ no: 1, name: 'include_revoked', kind: 'bool' }] },
  { name: 'revokeToken', fields: [s(1, 'name')] },
  { name: 'whoAmI', fields: [] },
  { name: 'watchEvents', fields: [s(1, 'services'), s(2, 'kinds'), s(3, 'since'), s(4, 'position'), { no: 5, name: 'no_follow', kind: 'bool' }] },
  // value is bytes: on the wire a length-delimited field like a string. No secret key here: a well-formed write is FAILED_PRECONDITION.
  { name: 'addSecret', fields: [s(1, 'service'), s(2, 'name'), s(3, 'value'), s(4, 'requested_by')] },
  { name: 'updateSecret', fields: [s(1, 'service'), s(2, 'name'), s(3, 'value'), s(4, 'requested_by')] },
  { name: 'listSecrets', fields: [s(1, 'service')] },
  { name: 'removeSecret', fields: [s(1, 'service'), s(2, 'name'), s(3, 'requested_by')] },
  { name: 'applyConfig', fields: [s(1, 'service'), { no: 2, name: 'dry_run', kind: 'bool' }, s(3, 'requested_by')] },
];

/** Whether a streaming request asks to follow (it then ends only at the client's deadline). */
function follows(method: Method, bytes: Buffer): boolean {
  try {
    if (method.name === 'getBuildLog') return api.GetBuildLogRequest.decode(bytes).follow;
    if (method.name === 'watchEvents') return !api.WatchEventsRequest.decode(bytes).noFollow;
  } catch {
    // not a message of the method's type at all: the server must say so
  }
  return false;
}

interface Reply {
  code: status;
  details: string;
  /** Response messages received (one for a unary call, the lines of a stream). */
  messages: Buffer[];
}

const identity = (b: Buffer) => b;

/** One call with raw request bytes and a deadline; the reply's status and raw response messages. */
function rawCall(client: Client, method: Method, bytes: Buffer, ms: number): Promise<Reply> {
  const path = api.ControlApiService[method.name].path;
  const deadline = Date.now() + ms;
  if (api.ControlApiService[method.name].responseStream) {
    return new Promise((resolve) => {
      const messages: Buffer[] = [];
      const stream = client.makeServerStreamRequest(path, identity, identity, bytes, { deadline });
      stream.on('data', (m: Buffer) => messages.push(m));
      stream.on('error', () => undefined);
      stream.on('status', (st: { code: status; details: string }) => resolve({ code: st.code, details: st.details, messages }));
    });
  }
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, identity, identity, bytes, { deadline }, (err: ServiceError | null, res?: Buffer) =>
      resolve(err ? { code: err.code, details: err.details, messages: [] } : { code: status.OK, details: '', messages: res ? [res] : [] }),
    ),
  );
}

describe('control-api under fuzzed gRPC requests (every method, raw bytes), on real NATS and SQLite, no builder or scheduler-bridge', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;
  let app: INestApplication;
  let client: Client;

  before(async () => {
    nats = await startNatsServer();
    rig = await startControlApi(nats);
    app = rig.app;
    client = new Client(rig.address, credentials.createInsecure(), { interceptors: [bearer(rig.adminToken)] });
  });
  after(async () => {
    client?.close();
    await rig?.close();
    await nats?.dispose();
  });

  /** Messages in every JetStream stream and rows ever written to the outbox: what a refused call must not change. */
  const published = async (): Promise<string> => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const counts: string[] = [];
    for await (const si of jsm.streams.list()) counts.push(`${si.config.name}=${si.state.messages}`);
    const [row] = await app.get(DatabaseHolder).database.em().execute<Array<{ n: number }>>('select count(*) as n from control_outbox');
    return [...counts.sort(), `outbox=${row?.n}`].join(' ');
  };

  const refusal = new Set([status.INVALID_ARGUMENT, status.NOT_FOUND, status.FAILED_PRECONDITION]);
  const fieldNames = (m: Method) => new RegExp(`request|${m.fields.map((f) => f.name).join('|') || 'request'}`);

  for (const method of METHODS) {
    it(`${method.name}: every reply is OK or a clear refusal that publishes nothing`, async (t) => {
      const codes = new Map<string, number>();
      let slowest = 0;
      const result = await fc.check(
        fc.asyncProperty(requestBytes(method.fields), async (bytes) => {
          const before = await published();
          const follow = follows(method, bytes);
          const started = Date.now();
          const reply = await rawCall(client, method, bytes, follow ? 500 : 10_000);
          slowest = Math.max(slowest, Date.now() - started);
          const key = status[reply.code] ?? String(reply.code);
          codes.set(key, (codes.get(key) ?? 0) + 1);
          const what = `${method.name} ${bytes.length} bytes ${bytes.subarray(0, 64).toString('hex')}: ${key} ${reply.details.slice(0, 300)}`;
          if (reply.code === status.OK) {
            // The answer decodes as the declared response type.
            const decode = api.ControlApiService[method.name].responseDeserialize as (b: Buffer) => unknown;
            for (const m of reply.messages) decode(m);
            return;
          }
          // A follow (of a build that may yet start, of the event stream) waits: the client's deadline ends it.
          if (follow && reply.code === status.DEADLINE_EXCEEDED) return;
          assert.ok(refusal.has(reply.code) || method.alsoAllowed?.includes(reply.code), `unexpected code: ${what}`);
          assert.ok(reply.details.trim().length > 0, `empty message: ${what}`);
          assert.ok(reply.details.length <= 1_000, `a message of ${reply.details.length} characters: ${what}`);
          if (reply.code === status.INVALID_ARGUMENT) assert.match(reply.details, fieldNames(method), `names no field: ${what}`);
          assert.equal(await published(), before, `a refused call published or queued something: ${what}`);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      if (result.failed) {
        const bytes = result.counterexample?.[0];
        const error = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        assert.fail(
          `${method.name} failed after ${result.numRuns} runs (seed ${result.seed}, path ${result.counterexamplePath}; ORZO_FUZZ_SEED reruns it): ` +
            `${bytes?.length} bytes ${bytes?.subarray(0, 64).toString('hex')}: ${error.slice(0, 1_000)}`,
        );
      }
      t.diagnostic(`${method.name}: ${RUNS} runs, seed ${SEED}, slowest call ${slowest} ms: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    });
  }

  it('refuses a message over the size limit and still answers a valid call after the runs', async () => {
    const huge = Buffer.concat([Buffer.from([0x0a]), Buffer.from([0x80, 0x80, 0x80, 0x03]), Buffer.alloc(6 * 1024 * 1024, 0x61)]);
    const reply = await rawCall(client, METHODS[0]!, huge, 10_000);
    assert.equal(reply.code, status.RESOURCE_EXHAUSTED, reply.details);
    assert.match(reply.details, /larger than/);
    const ok = await rawCall(client, METHODS[2]!, Buffer.alloc(0), 10_000);
    assert.equal(ok.code, status.OK, ok.details);
    assert.ok(api.ListServicesResponse.decode(ok.messages[0]!).services.some((svc) => svc.name === 'hello'));
  });
});
