import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { Rpcs, Subjects } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { InvalidArgumentError, NotFoundError } from '@orzo/platform';
import { NatsServerHandle, ORZO_CLI, copySoaConfigs, databaseMatrix, startNatsServer } from '@orzo/testing';
import { ControlApiRig, startControlApi } from './control-api-rig';

const SHA = 'c0ffee0011223344556677889900aabbccddeeff';

/** The example with SECRET(db_password) and SHARED_SECRET(api_token) in main's env. */
const INSTANCES = `main:
  cpus: 0.1
  mem: 64
  container_port: 8080
  instances: 1
  deploy_group: local.main
  registrations: ['SVC.main']
  env:
    DB_PASSWORD: SECRET(db_password)
    API_TOKEN: SHARED_SECRET(api_token)
    PLAIN: visible
`;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

for (const target of databaseMatrix()) {
  describe(`secrets on ${target.name}: orzo secret add/update/list/rm, encrypted at rest, values only in the RPC reply to a starting replica`, () => {
    let nats: NatsServerHandle;
    let rig: ControlApiRig;
    let service: string;
    const key = randomBytes(32).toString('base64');
    // Distinctive values: any output or row holding one is a leak.
    const V1 = `v1-${randomBytes(12).toString('hex')}`;
    const V2 = `v2-${randomBytes(12).toString('hex')}`;
    const SHARED = `shared-${randomBytes(12).toString('hex')}`;
    const leaks = (text: string) => [V1, V2, SHARED].filter((v) => text.includes(v) || text.includes(Buffer.from(v).toString('base64')));

    /** `orzo <args>` with `stdin`, without blocking this process (control-api runs in it). */
    const cli = (args: string[], stdin = ''): Promise<Run> =>
      new Promise((resolve) => {
        const child = execFile(
          process.execPath,
          [ORZO_CLI, ...args],
          { env: { ...process.env, ORZO_CONTROL_API: rig.address, ORZO_TOKEN: rig.adminToken, ORZO_SOA_DIR: soaDir }, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
        child.stdin!.end(stdin);
      });
    let soaDir = '';
    const rows = async () => rig.app.get(DatabaseHolder).database.em().execute<Array<Record<string, string>>>('select * from control_secret');
    /** The last deploy.requested, as JetStream holds it (raw bytes as latin1). */
    const lastDeployRequested = async (): Promise<string> => {
      const jsm = await jetstreamManager(rig.app.get(BusService).connection);
      const stream = await jsm.streams.find(Subjects.DeployRequested);
      const m = await jsm.streams.getMessage(stream, { last_by_subj: Subjects.DeployRequested });
      return Buffer.from(m!.data).toString('latin1');
    };
    const configHashOf = (event: string) => /config[0-9a-f]{8}/.exec(event)?.[0];

    before(async () => {
      nats = await startNatsServer();
      service = `sec-${Math.random().toString(36).slice(2, 8)}`;
      const soa = await copySoaConfigs({ service, files: { 'kubernetes-local.yaml': INSTANCES.replace('SVC', service) } });
      soaDir = soa.dir;
      rig = await startControlApi(nats, {
        env: {
          ORZO_SOA_DIR: soa.dir,
          ORZO_SECRET_KEY: key,
          ORZO_DB_URL: target.url(),
          ...(target.name === 'postgresql' ? { ORZO_DB_SCHEMA: target.schema } : {}),
        },
      });
    });
    after(async () => {
      if (target.name === 'postgresql') await rig?.app.get(DatabaseHolder).database.em().execute(`drop schema if exists "${target.schema}" cascade`);
      await rig?.close();
      await nats?.dispose();
    });

    it('add reads the value from stdin; the row holds only ciphertext; a second add is refused; list shows names, who and where used, never values', async () => {
      const added = await cli(['secret', 'add', '-s', service, '-n', 'db_password'], `${V1}\n`);
      assert.equal(added.status, 0, added.stderr);
      assert.match(added.stdout, /secret db_password of .* added/);
      const [row] = await rows();
      assert.ok(row);
      assert.match(row.sealed!, /^v1\.[0-9a-f]{16}\./);
      assert.deepEqual(leaks(JSON.stringify(await rows())), [], 'no plaintext in the row');
      const again = await cli(['secret', 'add', '-s', service, '-n', 'db_password'], 'other');
      assert.equal(again.status, 1);
      assert.match(again.stderr, /FAILED_PRECONDITION: secret db_password of .* exists.*orzo secret update/);
      const shared = await cli(['secret', 'add', '--shared', '-n', 'api_token'], SHARED);
      assert.equal(shared.status, 0, shared.stderr);
      const list = await cli(['secret', 'list', '-s', service]);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`db_password .*${rig.adminName}.*local\\.main`));
      const json = await cli(['secret', 'list', '--shared', '--json']);
      assert.match(json.stdout, new RegExp(`"usedBy":\\["${service}\\.local\\.main"\\]`));
      assert.deepEqual(leaks(list.stdout + json.stdout), []);
      const usage = await cli(['secret', 'add', '-s', service, '-n', 'x', '--value', V1]);
      assert.equal(usage.status, 2, 'no option takes a value on the command line (usage error)');
      assert.match(usage.stderr, /unknown option '--value'/i);
    });

    it('a mark sends SECRET(name) references and a config hash with the secret versions; the plaintext comes only in the secret-values reply', async (t) => {
      const mark = await cli(['mark-for-deployment', '-s', service, '-l', 'local.main', '-c', SHA]);
      assert.equal(mark.status, 0, mark.stderr);
      const first = await lastDeployRequested();
      assert.ok(first.includes('SECRET(db_password)') && first.includes('SHARED_SECRET(api_token)'));
      assert.deepEqual(leaks(first), []);
      const bus = rig.app.get(BusService);
      const refs = [
        { service, name: 'db_password' },
        { service: '_shared', name: 'api_token' },
      ];
      const answer = await bus.request(Rpcs.secretValues, { service, instance: 'main', cluster: 'local', refs }, { timeout: 5_000 });
      assert.deepEqual(
        answer.values.map((v) => v.value),
        [V1, SHARED],
      );
      // What a replica start pays for its secrets: one request/reply (two values decrypted).
      const ms: number[] = [];
      for (let n = 0; n < 100; n++) {
        const t0 = performance.now();
        await bus.request(Rpcs.secretValues, { service, instance: 'main', cluster: 'local', refs }, { timeout: 5_000 });
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      t.diagnostic(`secret-values request/reply on ${target.name}: median ${ms[50]!.toFixed(2)} ms, p95 ${ms[95]!.toFixed(2)} ms (100 requests, 2 secrets)`);
      await assert.rejects(
        bus.request(Rpcs.secretValues, { service, instance: 'main', cluster: 'local', refs: [{ service, name: 'nope' }] }, { timeout: 5_000 }),
        (err: Error) =>
          err instanceof NotFoundError && err.message.includes(`SECRET(nope) of ${service}`) && err.message.includes(`orzo secret add -s ${service} -n nope`),
      );
      await assert.rejects(
        bus.request(Rpcs.secretValues, { service: 'hello', instance: 'main', cluster: 'local', refs: [{ service, name: 'db_password' }] }, { timeout: 5_000 }),
        InvalidArgumentError,
      );

      const file = join(mkdtempSync(join(tmpdir(), 'orzo-secret-')), 'value');
      writeFileSync(file, V2, { mode: 0o600 });
      const updated = await cli(['secret', 'update', '-s', service, '-n', 'db_password', '--value-file', file]);
      assert.equal(updated.status, 0, updated.stderr);
      assert.match(updated.stdout, /re-deploying local\.main through their bounce method/);
      const second = await lastDeployRequested();
      assert.notEqual(configHashOf(second), configHashOf(first), 'the new version changes the config hash: a bounce');
      assert.deepEqual(leaks(second), []);
      assert.equal(
        (await bus.request(Rpcs.secretValues, { service, instance: 'main', cluster: 'local', refs: [refs[0]!] }, { timeout: 5_000 })).values[0]!.value,
        V2,
      );

      const outputs = await Promise.all([
        cli(['history', '-s', service]),
        cli(['history', '-s', service, '--json']),
        cli(['status', '-s', service, '-v']),
        cli(['info', '-s', service]),
        cli(['events', '-s', service, '--since', '10m']),
        cli(['secret', 'list', '-s', service, '--json']),
      ]);
      const history = outputs[0]!;
      assert.match(history.stdout, /secret db_password updated/);
      assert.match(history.stdout, /local\.main re-deployed through the bounce method/);
      for (const o of outputs) assert.deepEqual(leaks(o.stdout + o.stderr), [], o.stdout + o.stderr);
    });

    it('rm removes it and says what still references it; list then names it missing', async () => {
      const rm = await cli(['secret', 'rm', '-s', service, '-n', 'db_password']);
      assert.equal(rm.status, 0, rm.stderr);
      assert.match(rm.stdout, /local\.main still reference it/);
      const list = await cli(['secret', 'list', '-s', service]);
      assert.match(list.stdout, /missing: db_password \(referenced by local\.main\)/);
      const gone = await cli(['secret', 'rm', '-s', service, '-n', 'db_password']);
      assert.equal(gone.status, 1);
      assert.match(gone.stderr, /NOT_FOUND: .* has no secret db_password/);
    });
  });
}

describe('secrets without a key: refused with a clear error, nothing written', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;
  before(async () => {
    nats = await startNatsServer();
    rig = await startControlApi(nats);
  });
  after(async () => {
    await rig?.close();
    await nats?.dispose();
  });

  it('add and update say how to configure the key; no row and no history line is written', async () => {
    const em = rig.app.get(DatabaseHolder).database.em();
    const count = async (table: string) => (await em.execute<Array<{ n: number }>>(`select count(*) as n from ${table}`))[0]!.n;
    const historyBefore = await count('control_history');
    const run = (args: string[]): Promise<Run> =>
      new Promise((resolve) => {
        const child = execFile(
          process.execPath,
          [ORZO_CLI, ...args],
          { env: { ...process.env, ORZO_CONTROL_API: rig.address, ORZO_TOKEN: rig.adminToken }, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
        child.stdin!.end('s3cret-value');
      });
    for (const verb of ['add', 'update']) {
      const r = await run(['secret', verb, '-s', 'hello', '-n', 'db_password']);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /FAILED_PRECONDITION: control-api has no secret key.*ORZO_SECRET_KEY.*openssl rand -base64 32/);
    }
    assert.equal(Number(await count('control_secret')), 0);
    assert.equal(Number(await count('control_history')), Number(historyBefore));
  });
});
