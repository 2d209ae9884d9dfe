import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { BusService } from '@orzo/bus';
import { DeployFailed, InstanceSpec, InstanceStarted, InstanceStopped, Rpcs, Subjects } from '@orzo/contracts';
import { NatsServerHandle, Swarm, buildImage, ensureBusyboxBase, httpGet, startNatsServer, startSwarm, waitFor } from '@orzo/testing';
import { Replica } from '../src/engine/engine';
import { SwarmEngine } from '../src/engine/swarm-engine';
import { DockerEngine } from '../src/docker-engine';
import { bootBridge, lastEvent as lastEventOf, requestDeploy } from './bridge-app';
import { helloSpec } from './hello-spec';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `swarm-${process.pid}`;
const V1 = '1111111111111111111111111111111111111111';
const V2 = '2222222222222222222222222222222222222222';

/**
 * scheduler-bridge on a real 3-node Docker Swarm (libs/testing startSwarm: one dockerd per
 * network namespace, joined by a bridge), its cluster set to `engine: swarm` in orzo.yaml. The
 * images are only in the swarm's registry: every node that runs a replica pulls it.
 */
describe('scheduler-bridge on a 3-node Docker Swarm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orzo-swarm-bridge-'));
  let swarm: Swarm;
  let engine: SwarmEngine;
  let nats: NatsServerHandle;
  let app: INestApplication;
  let env: Record<string, string>;
  const images: Record<string, string> = {};

  const spec = (version: string, over: Partial<InstanceSpec> = {}): InstanceSpec =>
    helloSpec(cluster, { image: images[version]!, gitSha: version, configHash: 'configaaaabbbb' }, { replicas: 6, ...over });
  const running = async (version?: string) => (await engine.list({ cluster })).filter((r) => r.running && (!version || r.gitSha === version));
  const lastEvent = <T>(subject: string) => lastEventOf<T>(app, subject);
  const deploy = (deployId: string, s: InstanceSpec) => requestDeploy(app, deployId, s);
  const completed = (deployId: string, version: string) =>
    waitFor(
      async () => {
        const rs = await running();
        const done = await lastEvent<{ deployId: string }>(Subjects.DeployCompleted);
        return rs.length === 6 && rs.every((r) => r.gitSha === version) && done?.deployId === deployId;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `6 replicas of ${version.slice(0, 4)} and deploy ${deployId} completed` },
    );
  const answers = async (r: Replica, path = '/version') => (await httpGet(`http://${r.host}:${r.hostPort}${path}`, 1_000).catch(() => undefined))?.body.trim();

  before(async () => {
    swarm = await startSwarm({ nodes: 3, registry: true });
    engine = new SwarmEngine(swarm.manager.docker);
    const machine = new Docker();
    await ensureBusyboxBase(machine);
    for (const [version, page] of [
      [V1, 'v1'],
      [V2, 'v2'],
    ] as const) {
      const local = `orzo-test/hello-swarm:${page}`;
      await buildImage(machine, { context: examples, tag: local, buildargs: { VERSION: page } });
      images[version] = await swarm.pushImage(local, `services-hello:orzo-${version.slice(0, 8)}`);
    }
    const orzoYaml = join(dir, 'orzo.yaml');
    writeFileSync(orzoYaml, `clusters:\n  ${cluster}:\n    engine: swarm\n    docker_host: ${swarm.manager.dockerHost}\nregistry: ${swarm.registry}\n`);
    nats = await startNatsServer();
    env = {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: dir,
      ORZO_CONFIG: orzoYaml,
      ORZO_SCHEDULER_CLUSTERS: cluster,
      ORZO_RECONCILE_INTERVAL_MS: '1000',
      ORZO_DEPLOY_TIMEOUT_S: '90',
    };
    app = await bootBridge(env);
  });
  after(async () => {
    // What the nodes' engines said, when something went wrong there.
    if (process.env.ORZO_SWARM_LOGS) swarm?.nodes.forEach((n, i) => process.stderr.write(`--- ${n.name}\n${swarm.nodeLog(i)}\n`));
    await app?.close();
    await nats?.dispose();
    await swarm?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs 6 replicas spread over the nodes, each answering at its node IP, pulled from the registry', async () => {
    for (const node of swarm.nodes) assert.equal(await new DockerEngine(node.docker).hasImage(images[V1]!), false, `${node.name} starts without the image`);
    await deploy('s1', spec(V1));
    await completed('s1', V1);
    const rs = await running(V1);
    const ips = swarm.nodes.map((n) => n.ip);
    for (const r of rs) assert.ok(ips.includes(r.host), `replica ${r.name} at ${r.host}, a node's IP`);
    assert.equal(new Set(rs.map((r) => r.host)).size, 3, 'every node runs some');
    for (const r of rs) assert.equal(await answers(r), 'v1', `${r.host}:${r.hostPort} answers from the root namespace`);
    for (const node of swarm.nodes) assert.equal(await new DockerEngine(node.docker).hasImage(images[V1]!), true, `${node.name} pulled the image`);
    const started = await lastEvent<InstanceStarted>(Subjects.InstanceStarted);
    assert.ok(started && ips.includes(started.replica!.host) && started.replica!.port > 0, 'instance.started carries the node IP and port');
  });

  it('answers image-exists for the swarm cluster from its registry', async () => {
    const ask = (image: string) => app.get(BusService).request(Rpcs.imageExists(cluster), { image }, { timeout: 10_000 });
    assert.deepEqual(await ask(images[V2]!), { exists: true });
    assert.deepEqual(await ask(`${swarm.registry}/services-hello:orzo-never-pushed`), { exists: false });
  });

  it('crosses over to a new version without ever having fewer than 6 replicas serving', async () => {
    let samples = 0;
    let done = false;
    const watching = (async () => {
      while (!done) {
        const rs = await running();
        const oldUp = rs.filter((r) => r.gitSha === V1).length;
        const newUp = (await Promise.all(rs.filter((r) => r.gitSha === V2).map((r) => answers(r, '/status')))).filter((b) => b === 'ok').length;
        assert.ok(oldUp + newUp >= 6, `only ${oldUp} old and ${newUp} happy new replicas at one moment of the bounce`);
        samples++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await deploy('s2', spec(V2));
      await completed('s2', V2);
    } finally {
      done = true;
      await watching;
    }
    assert.ok(samples > 3, `the bounce was watched (${samples} samples)`);
    for (const r of await running(V2)) assert.equal(await answers(r), 'v2');
  });

  it('replaces the replicas of a worker whose dockerd is killed on the other nodes', async (t) => {
    const worker = swarm.nodes[2]!;
    const lost = (await running(V2)).filter((r) => r.host === worker.ip);
    assert.ok(lost.length > 0, 'the worker runs replicas');
    const killedAt = Date.now();
    swarm.killNode(2);
    await waitFor(
      async () => {
        const rs = await running(V2);
        return rs.length === 6 && rs.every((r) => r.host !== worker.ip) && (await Promise.all(rs.map((r) => answers(r, '/status')))).every((b) => b === 'ok');
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `the replicas of ${worker.name} replaced on the other nodes` },
    );
    t.diagnostic(`${lost.length} replica(s) of a killed node replaced and answering after ${Date.now() - killedAt} ms`);
    const stopped = await lastEvent<InstanceStopped>(Subjects.InstanceStopped);
    assert.equal(stopped?.replica?.host, worker.ip, 'the lost replicas were announced stopped');
    assert.match(stopped!.reason, new RegExp(`its node ${worker.ip.replace(/\./g, '\\.')} is down`));
  });

  it('adopts what runs on the swarm after its own restart instead of duplicating it', async () => {
    const before = (await running()).map((r) => r.id).sort();
    await app.close();
    app = await bootBridge(env);
    await new Promise((r) => setTimeout(r, 2_500));
    assert.deepEqual((await running()).map((r) => r.id).sort(), before);
  });

  it("refuses to start a replica no node's pool fits, with Swarm's reason, leaving no service", async () => {
    const before = (await engine.list({ cluster })).length;
    await assert.rejects(engine.run({ ...spec(V2), instance: 'nowhere', pool: 'gpu' }), /swarm could not start .*no suitable node/);
    assert.equal((await engine.list({ cluster })).length, before);
  });

  it('fails a deploy whose image is not in the registry, saying so, and keeps what runs', async () => {
    const before = (await running()).map((r) => r.id).sort();
    await deploy('s3', spec(V1, { image: `${swarm.registry}/services-hello:orzo-33333333`, gitSha: '3333333333333333333333333333333333333333' }));
    const failed = await waitFor(
      async () => {
        const f = await lastEvent<DeployFailed>(Subjects.DeployFailed);
        return f?.deployId === 's3' ? f : undefined;
      },
      { timeoutMs: 30_000, what: 'deploy.failed for s3' },
    );
    assert.match(failed.reason, /registry .* does not have it/);
    assert.deepEqual((await running()).map((r) => r.id).sort(), before);
  });
});
