import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { buildImage, ensureBusyboxBase, httpGet, startRegistry, waitFor } from '@orzo/testing';
import { DockerEngine, EngineEvent, ImageNotFoundError, ReplicaRequest } from '../src/docker-engine';

const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `test-${process.pid}`;

describe('DockerEngine on a real Docker Engine', () => {
  const docker = new Docker();
  const engine = new DockerEngine(docker);
  const image = 'orzo-test/hello:engine';
  const request = (over: Partial<ReplicaRequest> = {}): ReplicaRequest => ({
    service: 'hello',
    instance: 'main',
    cluster,
    image,
    gitSha: 'abcdef1234567890',
    configHash: 'config12345678',
    cpus: 0.25,
    memMb: 32,
    env: { ORZO_PORT: '8080', GREETING: 'hi' },
    containerPort: 8080,
    ...over,
  });

  before(async () => {
    await ensureBusyboxBase(docker);
    await buildImage(docker, { context: examples, tag: image, buildargs: { VERSION: 'engine-test' } });
  });
  after(async () => {
    for (const r of await engine.list({ cluster })) await engine.remove(r.id);
  });

  it('runs a replica with labels, limits, env and a 127.0.0.1 host port that answers', async () => {
    const r = await engine.run(request());
    assert.equal(r.running, true);
    assert.deepEqual([r.service, r.instance, r.cluster, r.gitSha, r.configHash], ['hello', 'main', cluster, 'abcdef1234567890', 'config12345678']);
    assert.ok(r.hostPort && r.hostPort > 0);
    const info = await docker.getContainer(r.id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 250_000_000);
    assert.equal(info.HostConfig.Memory, 32 * 1024 * 1024);
    assert.ok(info.Config.Env.includes('GREETING=hi'));
    const body = await waitFor(async () => (await httpGet(`http://127.0.0.1:${r.hostPort}/version`)).body, { what: 'the replica to answer' });
    assert.equal(body.trim(), 'engine-test');
    // Its bridge-network address (what this host's HAProxy routes to) answers too, without docker-proxy.
    assert.equal(r.bridge?.port, 8080);
    assert.equal((await httpGet(`http://${r.bridge!.ip}:${r.bridge!.port}/version`)).body.trim(), 'engine-test');
  });

  it('finds its replicas by labels, and reports a stopped one with its exit code', async () => {
    const events: EngineEvent[] = [];
    const unwatch = engine.watch((e) => events.push(e));
    try {
      const r = await engine.run(request({ instance: 'worker', cmd: 'sleep 30' }));
      const found = await engine.list({ cluster, instance: 'worker' });
      assert.deepEqual(
        found.map((x) => x.id),
        [r.id],
      );
      await engine.stop(r.id, 1);
      const stopped = await engine.inspect(r.id);
      assert.equal(stopped.running, false);
      assert.notEqual(stopped.exitCode, undefined);
      await waitFor(() => events.find((e) => e.action === 'die' && e.containerId === r.id), { what: 'the die event' });
      const die = events.find((e) => e.action === 'die' && e.containerId === r.id)!;
      assert.equal(die.labels['orzo.instance'], 'worker');
      await engine.stop(r.id, 1);
      await engine.remove(r.id);
      await engine.remove(r.id);
      assert.deepEqual(await engine.list({ cluster, instance: 'worker' }), []);
    } finally {
      unwatch();
    }
  });

  it('lists a running replica it read before without inspecting it again while its events stream is connected, as inspect shows it', async () => {
    const events: EngineEvent[] = [];
    const unwatch = engine.watch((e) => events.push(e));
    const getContainer = docker.getContainer.bind(docker);
    let inspects = 0;
    try {
      const r = await engine.run(request({ instance: 'listed' }));
      // Its start event forgets what was read of it: seen first, so the listing below is the one remembered.
      await waitFor(() => events.some((e) => e.action === 'start' && e.containerId === r.id), { what: 'the start event' });
      await engine.list({ cluster, instance: 'listed' });
      docker.getContainer = (id: string) => {
        const c = getContainer(id);
        const inspect = c.inspect.bind(c);
        c.inspect = ((...args: unknown[]) => {
          inspects++;
          return (inspect as (...a: unknown[]) => unknown)(...args);
        }) as typeof c.inspect;
        return c;
      };
      const listed = await engine.list({ cluster, instance: 'listed' });
      assert.equal(inspects, 0);
      docker.getContainer = getContainer;
      assert.deepEqual(listed, [await engine.inspect(r.id)]);
      // Stopped, it is read again: its exit code is not in a listing.
      await engine.stop(r.id, 1);
      const [stopped] = await engine.list({ cluster, instance: 'listed' });
      assert.equal(stopped?.running, false);
      assert.notEqual(stopped?.exitCode, undefined);
      await engine.remove(r.id);
    } finally {
      docker.getContainer = getContainer;
      unwatch();
    }
  });

  it('reports a replica that just died from its die event and last inspection, without inspecting it, then as the engine shows it', async () => {
    const events: EngineEvent[] = [];
    const unwatch = engine.watch((e) => events.push(e));
    const getContainer = docker.getContainer.bind(docker);
    const inspected: string[] = [];
    try {
      const r = await engine.run(request({ instance: 'killed' }));
      await waitFor(() => events.some((e) => e.action === 'start' && e.containerId === r.id), { what: 'the start event' });
      const [alive] = await engine.list({ cluster, instance: 'killed' });
      assert.equal(alive?.running, true);
      docker.getContainer = (id: string) => {
        const c = getContainer(id);
        const inspect = c.inspect.bind(c);
        c.inspect = ((...args: unknown[]) => {
          inspected.push(id);
          return (inspect as (...a: unknown[]) => unknown)(...args);
        }) as typeof c.inspect;
        return c;
      };
      await getContainer(r.id).kill({ signal: 'SIGKILL' });
      const die = await waitFor(() => events.find((e) => e.action === 'die' && e.containerId === r.id), { what: 'the die event' });
      inspected.length = 0;
      const [dead] = await engine.list({ cluster, instance: 'killed' });
      assert.deepEqual(inspected, [], 'taken from the cache and the event');
      assert.equal(dead?.running, false);
      assert.equal(dead?.exitCode, 137);
      assert.equal(dead?.exitCode, die.exitCode);
      assert.equal(dead?.oomKilled, false);
      assert.deepEqual([dead?.host, dead?.hostPort, dead?.startedAt, dead?.gitSha], [alive?.host, alive?.hostPort, alive?.startedAt, alive?.gitSha]);
      assert.ok(dead?.finishedAt && Date.parse(dead.finishedAt) >= Date.parse(alive!.startedAt!), 'finished at the event');
      // Read from the engine, it is forgotten: the engine's answer is what counts from then on.
      const read = await engine.inspect(r.id);
      assert.equal(read.running, false);
      inspected.length = 0;
      const [again] = await engine.list({ cluster, instance: 'killed' });
      assert.deepEqual(inspected, [r.id], 'inspected again');
      assert.equal(again?.exitCode, 137);
      await engine.remove(r.id);
    } finally {
      docker.getContainer = getContainer;
      unwatch();
    }
  });

  it('refuses an image that does not exist with a clear error, creating nothing', async () => {
    const before = (await engine.list({ cluster })).length;
    await assert.rejects(engine.run(request({ image: 'orzo-test/nothing:here' })), ImageNotFoundError);
    assert.equal((await engine.list({ cluster })).length, before);
  });

  it('pulls an image its engine lacks from the registry its name carries, and says why when it cannot', async () => {
    const registry = await startRegistry();
    const remote = `${registry.address}/services-hello:orzo-pulled`;
    try {
      execFileSync('docker', ['tag', image, remote]);
      execFileSync('docker', ['push', '-q', remote]);
      execFileSync('docker', ['rmi', remote]);
      assert.equal(await engine.hasImage(remote), false);
      const r = await engine.run(request({ instance: 'pulled', image: remote }));
      assert.equal(r.running, true);
      assert.equal(await engine.hasImage(remote), true);
      await assert.rejects(
        engine.run(request({ image: `${registry.address}/services-hello:orzo-never-pushed` })),
        (err: Error) => err instanceof ImageNotFoundError && /pulling it from 127\.0\.0\.1:\d+ failed/.test(err.message),
      );
    } finally {
      await registry.stop();
      execFileSync('docker', ['rmi', '-f', remote], { stdio: 'ignore' });
    }
  });
});
