import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { jetstream } from '@nats-io/jetstream';
import { DiscoveryRegistryStore, EventPublisher, NatsConnection, callRpc, connectNats } from '@orzo/bus';
import { ReplicaRef, Rpcs, Subjects } from '@orzo/contracts';
import { BUSYBOX_BASE, HttpContainer, NatsServerHandle, ensureBusyboxBase, freePort, startHttpContainer, startNatsServer, waitFor } from '@orzo/testing';
import { HostPublisher, publishDeploy } from './host-publisher';

/** busybox httpd answering its replica's name on / (and /status for the readiness wait). */
const serve = (name: string) => ['/bin/sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && echo ok > /www/status && exec httpd -f -p 8080 -h /www`];

interface Replica {
  name: string;
  container: HttpContainer;
  ref: ReplicaRef;
}

/**
 * Two "hosts" on one machine, as SmartStack ran nerve/synapse on every box: two
 * discovery-publisher processes (host-a the registrar, host-b a follower), each with its own
 * HAProxy bound on its own loopback address, and replicas that are real containers reached at
 * their Docker bridge IP (not 127.0.0.1), all on the same container port: only the host tells
 * them apart. Events go through a private nats-server.
 */
describe('discovery on every host: two publishers, two HAProxies, replicas at their real addresses', () => {
  const docker = new Docker();
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let events: EventPublisher;
  let proxyPort: number;
  let hostA: HostPublisher;
  let hostB: HostPublisher;
  const replicas: Replica[] = [];
  const registration = `web-${Math.random().toString(36).slice(2, 8)}.main`;

  const startReplica = async (name: string): Promise<Replica> => {
    const container = await startHttpContainer(BUSYBOX_BASE, { port: 8080, path: '/status', command: serve(name), labels: { 'orzo.test': 'multi-host' } });
    const ip = (await docker.getContainer(container.id).inspect()).NetworkSettings.Networks.bridge?.IPAddress ?? '';
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(!ip.startsWith('127.'), `a bridge address, not loopback: ${ip}`);
    const ref = { service: 'web', instance: 'main', cluster: 'local', replicaId: name, host: ip, port: 8080, gitSha: 'abc', configHash: 'c', forceBounce: '' };
    const r = { name, container, ref };
    replicas.push(r);
    return r;
  };
  const healthy = (r: Replica) => events.publish(Subjects.InstanceHealthy, { replica: r.ref, checkOutput: 'ok', registrations: [registration] });
  const unhealthy = (r: Replica) =>
    events.publish(Subjects.InstanceUnhealthy, { replica: r.ref, checkOutput: 'HTTP 500', consecutiveFailures: 3, registrations: [registration] });
  const stopped = (r: Replica) => events.publish(Subjects.InstanceStopped, { replica: r.ref, reason: 'bounce', exitCode: 0, oomKilled: false });
  /** Waits until `host` routes to exactly these replicas (every one answers, no other does). */
  const routesTo = (host: HostPublisher, names: string[]) =>
    waitFor(
      async () => {
        const seen = new Set(await host.sample(proxyPort, names.length * 4 || 4));
        const want = names.length ? names.map((n) => `200:${n}`) : [];
        return want.every((w) => seen.has(w)) && [...seen].every((s) => (want.length ? want.includes(s) : !s.startsWith('200:')));
      },
      { timeoutMs: 15_000, what: `${host.hostId} (${host.bind}) to route to exactly [${names.join(', ')}]` },
    );

  before(async () => {
    await ensureBusyboxBase(docker);
    nats = await startNatsServer();
    proxyPort = await freePort();
    hostA = new HostPublisher('host-a', '127.0.0.2', nats.url, true);
    hostB = new HostPublisher('host-b', '127.0.0.3', nats.url, false);
    await hostA.start(); // creates the streams
    await hostB.start();
    nc = await connectNats(nats.url, 'multi-host-test');
    events = new EventPublisher(jetstream(nc), { source: 'test' });
    for (const name of ['r0', 'r1', 'r2']) await startReplica(name);
  });
  after(async () => {
    await Promise.all([hostA?.dispose(), hostB?.dispose()]);
    await Promise.all(replicas.map((r) => r.container.stop().catch(() => undefined)));
    await nc?.close();
    await nats?.dispose();
  });

  it('opens the frontend on each host’s own address and both HAProxies route to every healthy replica', async () => {
    await publishDeploy(events, 'web', registration, proxyPort, { healthcheckUri: '/status', timeoutServerMs: 1000 });
    for (const r of replicas) await healthy(r);
    await routesTo(hostA, ['r0', 'r1', 'r2']);
    await routesTo(hostB, ['r0', 'r1', 'r2']);
    for (const host of [hostA, hostB]) {
      const { status, body } = await host.health();
      assert.equal(status, 200);
      assert.match(
        body.checks!.haproxy!.detail!,
        new RegExp(`host ${host.hostId}, frontends on ${host.bind.replace(/\./g, '\\.')}: 1 backends, 3 servers routed`),
      );
    }
  });

  it('takes an unhealthy replica and a stopped one out of both HAProxies', async () => {
    await unhealthy(replicas[1]!);
    await stopped(replicas[2]!);
    await replicas[2]!.container.stop();
    await routesTo(hostA, ['r0']);
    await routesTo(hostB, ['r0']);
  });

  it('a follower killed meanwhile catches up when it comes back, never routing to a replica announced gone', async () => {
    await hostB.kill();
    // While host-b's publisher is away: r0 is announced stopped (its container still answers,
    // so routing to it would be visible), r1 is healthy again, r3 is new.
    const r3 = await startReplica('r3');
    await stopped(replicas[0]!);
    await healthy(replicas[1]!);
    await healthy(r3);
    await routesTo(hostA, ['r1', 'r3']);
    assert.ok((await hostB.sample(proxyPort, 4)).includes('200:r0'), 'host-b’s HAProxy keeps its last state while its publisher is away');
    await hostB.start();
    // Started = programmed from the registry: from the first request on, r0 is out.
    const after = await hostB.sample(proxyPort, 12);
    assert.ok(!after.includes('200:r0'), `host-b routed to r0, announced stopped: ${after.join(', ')}`);
    await routesTo(hostB, ['r1', 'r3']);
  });

  it('events published while the registrar is down reach every host once it is back', async () => {
    await hostA.kill();
    await unhealthy(replicas[1]!);
    // Nobody writes the registry meanwhile; both HAProxies keep the last state.
    await routesTo(hostB, ['r1', 'r3']);
    await hostA.start();
    await routesTo(hostA, ['r3']);
    await routesTo(hostB, ['r3']);
  });

  it('both hosts follow the registry again after nats-server was killed and restarted', async () => {
    await nats.stop(true);
    await nats.start();
    // The watch is opened again (or recovers) and the events published now reach both hosts.
    await healthy(replicas[1]!);
    await routesTo(hostA, ['r1', 'r3']);
    await routesTo(hostB, ['r1', 'r3']);
    await unhealthy(replicas[1]!);
    await routesTo(hostA, ['r3']);
    await routesTo(hostB, ['r3']);
  });

  it('says in /healthz when its HAProxy does not answer', async () => {
    // Frozen rather than killed: the watchdog would restart a dead one before /healthz is read.
    const master = Number(
      readFileSync(join(hostB.dataDir, 'haproxy', 'haproxy.pid'), 'utf8')
        .trim()
        .split('\n')[0],
    );
    const workers = execFileSync('pgrep', ['-P', String(master)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    const all = [master, ...workers];
    try {
      for (const pid of all) process.kill(pid, 'SIGSTOP');
      // A frozen HAProxy answers no runtime command: /healthz turns 503 within its 2 s check
      // timeout (asked again while a request already in flight finishes on a loaded machine).
      const { status, body } = await waitFor(
        async () => {
          const h = await hostB.health();
          return h.status === 503 ? h : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200, what: 'host-b /healthz to say its HAProxy does not answer' },
      );
      assert.equal(status, 503);
      assert.equal(body.checks!.haproxy!.ok, false);
      assert.equal((await hostA.health()).status, 200, 'host-a’s HAProxy is its own');
    } finally {
      for (const pid of all) process.kill(pid, 'SIGCONT');
    }
    assert.equal((await hostB.health()).status, 200);
    await routesTo(hostB, ['r3']);
  });

  it('a crossover gated on "UP in discovery" with acknowledged drains loses no request through either host', async (t) => {
    // The bounce as scheduler-bridge runs it: new replicas healthy, UP = listed in the shared
    // registry (what its reconciler reads), then each old one announced draining, every host
    // listed in the registry asked to confirm the drain (bounded by the example's 1 s delay),
    // stopped, announced stopped. Both hosts' HAProxies under load.
    await healthy(replicas[1]!);
    await routesTo(hostA, ['r1', 'r3']);
    await routesTo(hostB, ['r1', 'r3']);
    const old = [replicas[1]!, replicas.find((r) => r.name === 'r3')!];
    const load = { running: true, sent: 0, failed: [] as string[] };
    const client = async (host: HostPublisher) => {
      while (load.running) {
        const answer = await host.get(proxyPort);
        load.sent++;
        if (!answer.startsWith('200:')) load.failed.push(`${host.hostId}: ${answer}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const clients = [client(hostA), client(hostB)];
    try {
      const fresh = [await startReplica('r4'), await startReplica('r5')];
      for (const r of fresh) await healthy(r);
      const registry = await DiscoveryRegistryStore.open(nc);
      await waitFor(async () => (await registry.endpoints(registration)).filter((e) => e.replicaId === 'r4' || e.replicaId === 'r5').length === 2, {
        what: 'r4 and r5 UP in discovery',
      });
      assert.deepEqual(await registry.hosts(), ['host-a', 'host-b'], 'each publisher lists its host');
      const drained = (host: string, r: Replica, withinMs: number) =>
        callRpc(nc, Rpcs.proxyDrained(host), { replicaId: r.ref.replicaId, host: r.ref.host, port: r.ref.port, withinMs }, { timeout: withinMs + 2_000 });
      const early = await drained('host-b', old[0]!, 100);
      assert.equal(early.drained, false, 'a replica still listed is not drained');
      assert.match(early.detail, /host-b: still listed in the registry/);
      for (const r of old) {
        await events.publish(Subjects.InstanceUnhealthy, {
          replica: r.ref,
          checkOutput: 'draining: bounce',
          consecutiveFailures: 0,
          registrations: [registration],
        });
        // Asked at once (before the registrar even handled the event): each host answers when it is drained there.
        const answers = await Promise.all(['host-a', 'host-b'].map((host) => drained(host, r, 1_000)));
        assert.deepEqual(
          answers.map((a) => a.drained),
          [true, true],
          `both hosts confirm ${r.name} drained: ${answers.map((a) => a.detail).join('; ')}`,
        );
        await r.container.stop();
        await stopped(r);
      }
      await routesTo(hostA, ['r4', 'r5']);
      await routesTo(hostB, ['r4', 'r5']);
    } finally {
      load.running = false;
      await Promise.all(clients);
    }
    t.diagnostic(`crossover through two hosts: ${load.sent} requests, ${load.failed.length} failed`);
    assert.ok(load.sent > 50, `a steady load ran (${load.sent} requests)`);
    assert.deepEqual(load.failed, []);
  });
});
