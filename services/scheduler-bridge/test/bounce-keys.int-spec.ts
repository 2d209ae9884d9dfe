import assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { DeployCompleted, InstanceSpec, Subjects } from '@orzo/contracts';
import { NatsServerHandle, buildImage, ensureBusyboxBase, startNatsServer, waitFor } from '@orzo/testing';
import { DockerEngine, Labels } from '../src/docker-engine';
import { bootBridge, lastEvent as lastEventOf, requestDeploy } from './bridge-app';
import { helloSpec } from './hello-spec';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `bk-${process.pid}`;
const V1 = '1111111111111111111111111111111111111111';
const V2 = '2222222222222222222222222222222222222222';

interface DockerEvent {
  Action: string;
  Actor: { ID: string };
  timeNano: number;
}

describe('bounce and resource keys on a real Docker Engine: cpu_burst_add, disk, healthcheck_port, min_task_uptime, check_haproxy, overprovision, http drain, pre_stop', () => {
  const docker = new Docker();
  const engine = new DockerEngine(docker);
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-bk-'));
  let nats: NatsServerHandle;
  let app: INestApplication;
  let hooks: Server;
  let hooksPort = 0;
  const hookCalls: Array<{ url: string; at: number }> = [];
  const safeCalls = new Map<string, number>();

  const spec = (version: string, over: Partial<InstanceSpec> = {}): InstanceSpec =>
    helloSpec(cluster, { image: `orzo-test/hello:${version.slice(0, 4)}`, gitSha: version, configHash: 'configbk' }, over);
  const running = async () => (await engine.list({ cluster })).filter((r) => r.running);
  const completed = async (deployId: string) => {
    const done = await lastEventOf<DeployCompleted>(app, Subjects.DeployCompleted);
    return done?.deployId === deployId ? done : undefined;
  };
  const clear = async () => {
    for (const r of await engine.list({ cluster })) await engine.remove(r.id);
  };
  const events = async (sinceMs: number): Promise<DockerEvent[]> => {
    const stream = (await docker.getEvents({
      since: Math.floor(sinceMs / 1000),
      until: Math.ceil(Date.now() / 1000) + 1,
      filters: { type: ['container'], label: [`${Labels.cluster}=${cluster}`] },
    })) as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as DockerEvent);
  };

  before(async () => {
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: examples, tag: 'orzo-test/hello:1111', buildargs: { VERSION: 'v1' } });
    await buildImage(docker, { context: examples, tag: 'orzo-test/hello:2222', buildargs: { VERSION: 'v2' } });
    // The drain endpoints of drain_method: http. /safe answers 503 twice per replica port, then 200.
    hooks = createServer((req, res) => {
      hookCalls.push({ url: req.url ?? '', at: Date.now() });
      const port = new URL(req.url ?? '/', 'http://x').searchParams.get('port') ?? '';
      if (req.url?.startsWith('/safe')) {
        const n = (safeCalls.get(port) ?? 0) + 1;
        safeCalls.set(port, n);
        res.statusCode = n > 2 ? 200 : 503;
      }
      res.end();
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    hooksPort = (hooks.address() as { port: number }).port;
    nats = await startNatsServer();
    app = await bootBridge({
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: dataDir,
      ORZO_SCHEDULER_CLUSTERS: cluster,
      ORZO_RECONCILE_INTERVAL_MS: '1000',
      ORZO_DEPLOY_TIMEOUT_S: '120',
    });
  });
  after(async () => {
    await app?.close();
    await clear();
    hooks?.close();
    await nats?.dispose();
  });

  it('cpu_burst_add: the CPU limit is cpus + cpu_burst_add, at most the host’s CPUs; disk where the storage driver can', async () => {
    await requestDeploy(app, 'c1', spec(V1, { replicas: 1, cpus: 0.1, cpuBurstAdd: 0.5, diskMb: 64 }));
    await waitFor(() => completed('c1'), { timeoutMs: 60_000, what: 'deploy c1 completed' });
    const [r] = await running();
    const info = await docker.getContainer(r!.id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 600_000_000);
    // disk: limited where the storage driver can (overlay2 on xfs with pquota), else the replica runs without.
    const probe = await docker.createContainer({ Image: 'orzo-test/hello:1111', HostConfig: { StorageOpt: { size: '64M' } } }).then(
      async (c) => (await c.remove({ force: true }), true),
      () => false,
    );
    assert.deepEqual((info.HostConfig as { StorageOpt?: Record<string, string> | null }).StorageOpt ?? null, probe ? { size: '64M' } : null);
    await requestDeploy(app, 'c2', spec(V2, { replicas: 1, cpus: 0.1, cpuBurstAdd: 500 }));
    await waitFor(() => completed('c2'), { timeoutMs: 60_000, what: 'deploy c2 completed' });
    const [r2] = await running();
    const ncpu = (await docker.info()).NCPU as number;
    assert.equal((await docker.getContainer(r2!.id).inspect()).HostConfig.NanoCpus, ncpu * 1e9);
    await clear();
  });

  it('bounce_health_params.min_task_uptime: the deploy completes only once new replicas have run that long', async () => {
    await requestDeploy(app, 'u1', spec(V1, { replicas: 1, bounce: { ...spec(V1).bounce!, minTaskUptimeSeconds: 4 } }));
    await waitFor(() => completed('u1'), { timeoutMs: 60_000, what: 'deploy u1 completed' });
    const done = Date.now();
    const [r] = await running();
    const upFor = (done - Date.parse(r!.startedAt!)) / 1000;
    assert.ok(upFor >= 4, `completed after ${upFor.toFixed(1)} s of uptime`);
    await clear();
  });

  it('bounce_health_params.check_haproxy: false completes without discovery; by default a replica must be UP in discovery', async () => {
    const details = [{ name: 'hello.main', proxyPort: 1, mode: 'http', healthcheckUri: '/status', timeoutConnectMs: 200, timeoutServerMs: 1000, retries: 1 }];
    await requestDeploy(app, 'h1', spec(V1, { replicas: 1, registrations: ['hello.main'], registrationDetails: details as never }));
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(await completed('h1'), undefined, 'no discovery-publisher runs: never UP in discovery');
    await requestDeploy(
      app,
      'h2',
      spec(V1, { replicas: 1, registrations: ['hello.main'], registrationDetails: details as never, bounce: { ...spec(V1).bounce!, skipHaproxyCheck: true } }),
    );
    await waitFor(() => completed('h2'), { timeoutMs: 30_000, what: 'deploy h2 completed without discovery' });
    await clear();
  });

  it('healthcheck_port: the check goes to that container port, published beside the service port', async () => {
    // /check-only exists only behind the check port: a check on the service port would never pass.
    const cmd = 'mkdir -p /chk && echo ok > /chk/check-only && httpd -p 9090 -h /chk && exec httpd -f -p 8080 -h /www';
    const hc = { ...spec(V1).healthcheck!, uri: '/check-only', port: 9090 };
    // Another command and check are another config (a replica of an earlier test's config is not current).
    await requestDeploy(app, 'p1', spec(V1, { replicas: 1, cmd, healthcheck: hc, configHash: 'configport' }));
    await waitFor(() => completed('p1'), { timeoutMs: 60_000, what: 'deploy p1 completed through the check port' });
    const [r] = await running();
    assert.ok(r!.checkPort && r!.checkPort !== r!.hostPort, `two host ports: ${r!.hostPort} and ${r!.checkPort}`);
    const started = await lastEventOf<{ replica: { checkPort?: number; port: number } }>(app, Subjects.InstanceStarted);
    assert.deepEqual([started?.replica.port, started?.replica.checkPort], [r!.hostPort, r!.checkPort], 'monitor-bridge gets the check port');
    await clear();
  });

  it('a crossover with bounce_overprovision_factor, drain_method http, pre_stop_command and pre_stop_drain_seconds', async () => {
    await requestDeploy(app, 'b1', spec(V1, { replicas: 3 }));
    await waitFor(() => completed('b1'), { timeoutMs: 60_000, what: 'deploy b1 completed' });
    const oldOnes = await running();
    const since = Date.now();
    const base = spec(V2).bounce!;
    const bounce = {
      ...base,
      overprovisionFactor: 0.3,
      marginFactor: 1,
      drainMethod: 'http',
      drainDelaySeconds: 20,
      httpDrain: {
        drain: { urlFormat: `http://127.0.0.1:${hooksPort}/drain?port={port}&ns={nerve_ns}`, method: 'POST', successCodes: '200' },
        isSafeToKill: { urlFormat: `http://127.0.0.1:${hooksPort}/safe?port={port}`, method: 'GET', successCodes: '200-299' },
      },
      preStopCommand: ['/bin/sh', '-c', 'echo pre-stop'],
      preStopDrainSeconds: 1,
    };
    let most = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        most = Math.max(most, (await running()).length);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await requestDeploy(app, 'b2', spec(V2, { replicas: 3, registrations: ['hello.main'], bounce }));
    await waitFor(() => completed('b2'), { timeoutMs: 90_000, what: 'deploy b2 completed' });
    watching = false;
    await watch;
    assert.ok(most <= 4, `at most n + ceil(3 × 0.3) = 4 replicas ran at once, saw ${most}`);

    const seen = await events(since - 1000);
    for (const old of oldOnes) {
      const of = (action: RegExp) => seen.filter((e) => e.Actor.ID === old.id && action.test(e.Action)).map((e) => e.timeNano / 1e6);
      const [execStart] = of(/^exec_start: \/bin\/sh -c echo pre-stop$/);
      const [kill] = of(/^kill$/);
      assert.ok(execStart && kill, `replica ${old.name}: pre_stop_command ran (exec_start) and it was stopped`);
      assert.ok(kill - execStart >= 1000, `pre_stop_drain_seconds (1 s) between the pre-stop command and SIGTERM: ${(kill - execStart).toFixed(0)} ms`);
      const calls = hookCalls.filter((c) => c.url.includes(`port=${old.hostPort}`));
      const drains = calls.filter((c) => c.url.startsWith('/drain'));
      const safes = calls.filter((c) => c.url.startsWith('/safe'));
      assert.equal(drains.length, 1, 'one drain request per registration');
      assert.match(drains[0]!.url, /&ns=main$/);
      assert.equal(safes.length, 3, 'is_safe_to_kill polled until it answered 200');
      assert.ok(safes.at(-1)!.at <= execStart, 'the pre-stop command ran after the replica was safe to kill');
    }
  });
});
