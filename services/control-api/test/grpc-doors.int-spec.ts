import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client, ServiceError, credentials, status } from '@grpc/grpc-js';
import { api, bearer } from '@orzo/contracts';
import { NatsServerHandle, ORZO_CLI, TestCertificates, makeTestCertificates, startNatsServer } from '@orzo/testing';
import { ControlApiRig, callUnary, startControlApi } from './control-api-rig';

/** `orzo <args>` in a child process, without blocking this one (the control-api under test runs here). */
function orzo(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [ORZO_CLI, ...args],
      { encoding: 'utf8', env: { ...process.env, ORZO_CA: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    ),
  );
}

const listServices = (c: Client) =>
  callUnary<api.ListServicesRequest, api.ListServicesResponse>(c as api.ControlApiClient, 'listServices', {}).then(
    (r) => ({ code: status.OK, details: '', services: r.services.length }),
    (e: ServiceError) => ({ code: e.code, details: e.details, services: 0 }),
  );

describe('control-api over TLS and mutual TLS, and the plaintext rule', () => {
  let nats: NatsServerHandle;
  let certs: TestCertificates;
  const rigs: ControlApiRig[] = [];
  const clients: Client[] = [];
  const client = (address: string, creds: ReturnType<typeof credentials.createInsecure>, token: string) => {
    const c = new api.ControlApiClient(address, creds, { interceptors: [bearer(token)] });
    clients.push(c);
    return c;
  };

  before(async () => {
    certs = makeTestCertificates();
    nats = await startNatsServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const r of rigs) await r.close();
    await nats?.dispose();
  });

  /** The rig's own client speaks plaintext; these tests make their own. */
  const start = async (env: Record<string, string>) => {
    const rig = await startControlApi(nats, { env, plaintextClient: false });
    rigs.push(rig);
    return rig;
  };

  it('TLS: a client trusting the CA is served; a plaintext client and one trusting another CA are not; the CLI says why', async () => {
    const rig = await start({ ORZO_GRPC_TLS_CERT: certs.cert, ORZO_GRPC_TLS_KEY: certs.key });
    const ok = await listServices(client(rig.address, credentials.createSsl(readFileSync(certs.ca)), rig.adminToken));
    assert.equal(ok.code, status.OK, ok.details);
    assert.ok(ok.services > 0);
    const plain = await listServices(client(rig.address, credentials.createInsecure(), rig.adminToken));
    assert.equal(plain.code, status.UNAVAILABLE, plain.details);
    const stranger = await listServices(client(rig.address, credentials.createSsl(readFileSync(certs.otherCa)), rig.adminToken));
    assert.equal(stranger.code, status.UNAVAILABLE, stranger.details);

    const env = { ORZO_CONTROL_API: rig.address, ORZO_TOKEN: rig.adminToken };
    const withCa = await orzo(['whoami'], { ...env, ORZO_CA: certs.ca });
    assert.equal(withCa.status, 0, withCa.stderr);
    const withoutCa = await orzo(['whoami'], env);
    assert.equal(withoutCa.status, 1, withoutCa.stderr);
    assert.match(withoutCa.stderr, /If control-api speaks TLS, give its CA with --ca <file> or ORZO_CA/);
    const flag = await orzo(['--ca', certs.ca, 'whoami'], env);
    assert.equal(flag.status, 0, flag.stderr);
    assert.match(flag.stdout, /^admin-.*: admin$/m);
  });

  it('mutual TLS: a client without a certificate signed by the client CA is refused', async () => {
    const rig = await start({ ORZO_GRPC_TLS_CERT: certs.cert, ORZO_GRPC_TLS_KEY: certs.key, ORZO_GRPC_TLS_CLIENT_CA: certs.ca });
    const ca = readFileSync(certs.ca);
    const withCert = await listServices(
      client(rig.address, credentials.createSsl(ca, readFileSync(certs.clientKey), readFileSync(certs.clientCert)), rig.adminToken),
    );
    assert.equal(withCert.code, status.OK, withCert.details);
    const without = await listServices(client(rig.address, credentials.createSsl(ca), rig.adminToken));
    assert.equal(without.code, status.UNAVAILABLE, without.details);
  });

  it('refuses to listen in plaintext on an address that is not loopback unless told so', async () => {
    await assert.rejects(start({ ORZO_GRPC_HOST: '0.0.0.0' }), /refusing to listen in plaintext on 0\.0\.0\.0/);
    await assert.rejects(start({ ORZO_GRPC_TLS_CERT: certs.cert }), /TLS needs both a certificate and its key/);
    const rig = await start({ ORZO_GRPC_HOST: '0.0.0.0', ORZO_GRPC_ALLOW_PLAINTEXT: 'true' });
    const ok = await listServices(client(`127.0.0.1:${rig.address.split(':')[1]}`, credentials.createInsecure(), rig.adminToken));
    assert.equal(ok.code, status.OK, ok.details);
  });
});

describe('grpc.health.v1 and server reflection, without a token', () => {
  let nats: NatsServerHandle;
  let rig: ControlApiRig;
  let raw: Client;
  const identity = (b: Buffer) => b;

  before(async () => {
    nats = await startNatsServer();
    rig = await startControlApi(nats);
    raw = new Client(rig.address, credentials.createInsecure());
  });
  after(async () => {
    raw?.close();
    await rig?.close();
    await nats?.dispose();
  });

  /** HealthCheckResponse.status: field 1, varint; 1 = SERVING, 2 = NOT_SERVING. */
  const check = (service: string) =>
    new Promise<number>((resolve, reject) =>
      raw.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        identity,
        identity,
        Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]),
        (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res && res.length >= 2 ? res[1]! : 0)),
      ),
    );

  it('answers SERVING for the server and for orzo.api.v1.ControlApi, NOT_FOUND for another service', async () => {
    assert.equal(await check(''), 1);
    assert.equal(await check('orzo.api.v1.ControlApi'), 1);
    await assert.rejects(check('nosuch.Service'), (e: ServiceError) => e.code === status.NOT_FOUND);
  });

  it('lists the services by reflection (what grpcurl list asks) and describes ControlApi', async () => {
    // ServerReflectionRequest{list_services: ""} (field 7), then {file_containing_symbol} (field 4).
    const ask = (request: Buffer) =>
      new Promise<Buffer>((resolve, reject) => {
        const call = raw.makeBidiStreamRequest('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', identity, identity);
        call.on('data', (b: Buffer) => (resolve(b), call.end()));
        call.on('error', reject);
        call.write(request);
      });
    const listed = (await ask(Buffer.from([0x3a, 0x00]))).toString('latin1');
    for (const name of ['orzo.api.v1.ControlApi', 'grpc.health.v1.Health']) assert.ok(listed.includes(name), `${name} listed`);
    const symbol = 'orzo.api.v1.ControlApi';
    const described = (await ask(Buffer.concat([Buffer.from([0x22, symbol.length]), Buffer.from(symbol)]))).toString('latin1');
    for (const method of ['MarkForDeployment', 'WatchEvents', 'CreateToken']) assert.ok(described.includes(method), `${method} described`);
  });
});
