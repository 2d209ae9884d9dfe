// bench/api-latency: round trips of the gRPC API as a program sees them, with a bearer token and
// TLS: GetStatus of an instance with 100 replicas and MarkForDeployment, p50/p99, next to the
// emptiest authenticated RPC (WhoAmI) on the same server and connection in the same run; and
// `orzo status` wall time next to `node -e 0`.
// Usage: npm run bench:api   (needs nats-server and openssl; no Docker: the 100 replicas are
// events, and the bench itself answers scheduler-bridge's image-exists request)
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { connectNats } from '@orzo/bus';
import { Rpcs, Subjects, api, bearer, createEnvelope, encodeEvent } from '@orzo/contracts';
import { ORZO_CLI, copySoaConfigs, makeTestCertificates, platformEnv, startNatsServer, waitFor } from '@orzo/testing';
import { recordFigure } from './figures';
import { call, timed as timedCalls } from './grpc-timing';

const REPLICAS = 100;
const CALLS = 300;
const SHA = 'a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9';
const log = (line: string) => process.stdout.write(`${line}\n`);
const timed = (fn: () => Promise<unknown>) => timedCalls(fn, CALLS);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

async function main(): Promise<void> {
  const tls = makeTestCertificates();
  const nats = await startNatsServer();
  const soa = await copySoaConfigs({ service: 'hello' });
  const env = await platformEnv(nats.url, { ORZO_SOA_DIR: soa.dir, ORZO_GRPC_TLS_CERT: tls.cert, ORZO_GRPC_TLS_KEY: tls.key, ORZO_LOG_LEVEL: 'warn' });
  const up: ChildProcess = spawn(process.execPath, [ORZO_CLI, 'up', '--only', 'control-api'], { env, stdio: 'ignore' });
  const nc = await connectNats(nats.url, 'bench-api');
  try {
    // scheduler-bridge is not running: the bench says every image exists, as it would.
    nc.subscribe(Rpcs.imageExists('local').subject, { callback: (_err, msg) => void msg.respond(JSON.stringify({ exists: true })) });
    const tokenFile = join(env.ORZO_DATA_DIR!, 'admin-token');
    await waitFor(() => existsSync(tokenFile), { timeoutMs: 90_000, what: 'control-api to write its admin token' });
    const token = readFileSync(tokenFile, 'utf8').trim();
    const client = new api.ControlApiClient(env.ORZO_CONTROL_API!, credentials.createSsl(readFileSync(tls.ca)), { interceptors: [bearer(token)] });
    await waitFor(
      () =>
        call(client, 'whoAmI', {}).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 60_000, what: 'WhoAmI over TLS' },
    );

    // 100 replicas of hello.main, healthy, through the events control-api's read model follows.
    const js = jetstream(nc);
    for (let i = 0; i < REPLICAS; i++) {
      const replica = {
        service: 'hello',
        instance: 'main',
        cluster: 'local',
        replicaId: `bench-${i}`,
        host: '10.0.0.1',
        port: 30000 + i,
        gitSha: SHA,
        configHash: 'c',
        forceBounce: '',
      };
      await js.publish(
        Subjects.InstanceStarted,
        encodeEvent(createEnvelope(Subjects.InstanceStarted, { source: 'bench' }), { replica, image: 'x', registrations: ['hello.main'] }),
      );
      await js.publish(
        Subjects.InstanceHealthy,
        encodeEvent(createEnvelope(Subjects.InstanceHealthy, { source: 'bench' }), { replica, checkOutput: 'ok', registrations: ['hello.main'] }),
      );
    }
    const status = { service: 'hello', cluster: '', instance: '' };
    await waitFor(async () => (await call<api.GetStatusResponse>(client, 'getStatus', status)).instances[0]?.replicas.length === REPLICAS, {
      timeoutMs: 60_000,
      what: `${REPLICAS} replicas in GetStatus`,
    });

    const empty = await timed(() => call(client, 'whoAmI', {}));
    const getStatus = await timed(() => call(client, 'getStatus', status));
    const mark = await timed(() =>
      call(client, 'markForDeployment', { service: 'hello', deployGroup: 'local.main', image: '', commitSha: SHA, requestedBy: '', autoRollback: false }),
    );
    client.close();

    const wall = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
      const ms: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        const r = spawnSync(process.execPath, args, { env: { ...env, ...extraEnv }, stdio: 'ignore' });
        if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
        ms.push(performance.now() - t);
      }
      return ms;
    };
    const nodeAlone = wall(['-e', '0']);
    const orzoStatus = wall([ORZO_CLI, 'status', '-s', 'hello'], { ORZO_CA: tls.ca, ORZO_TOKEN: token });

    const row = (name: string, ms: number[]) =>
      log(
        `  ${name.padEnd(44)} p50 ${pct(ms, 50).toFixed(2).padStart(7)} ms   p99 ${pct(ms, 99).toFixed(2).padStart(7)} ms   p50 / empty ${(pct(ms, 50) / pct(empty, 50)).toFixed(1)}`,
      );
    log(`api-latency: control-api over TLS with a bearer token, ${CALLS} sequential calls each, one connection, node ${process.version}`);
    row('WhoAmI (authenticated, empty: the floor)', empty);
    row(`GetStatus, one instance of ${REPLICAS} replicas`, getStatus);
    row('MarkForDeployment (writes, outbox, publish)', mark);
    log(
      `  orzo status -s hello (wall, median of 10)   ${pct(orzoStatus, 50).toFixed(0)} ms   next to node -e 0: ${pct(nodeAlone, 50).toFixed(0)} ms   ratio ${(pct(orzoStatus, 50) / pct(nodeAlone, 50)).toFixed(1)}   goal < 200 ms (issue #16)`,
    );
    const status99 = pct(getStatus, 99);
    recordFigure({
      bench: 'api',
      measure: `GetStatus p99, ${REPLICAS} replicas (server + TLS)`,
      value: status99,
      unit: 'ms',
      floor: { label: 'WhoAmI p99', value: pct(empty, 99) },
      goal: 'p99 < 50 ms',
      met: status99 < 50,
    });
    recordFigure({
      bench: 'api',
      measure: 'orzo status -s hello, wall (median of 10)',
      value: pct(orzoStatus, 50),
      unit: 'ms',
      floor: { label: 'node -e 0', value: pct(nodeAlone, 50) },
      goal: '< 200 ms',
      met: pct(orzoStatus, 50) < 200,
    });
  } finally {
    await nc.close();
    up.kill('SIGINT');
    await new Promise((r) => up.once('exit', r));
    await nats.dispose();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
