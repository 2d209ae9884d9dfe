import assert from 'node:assert/strict';
import { Server, createServer } from 'node:http';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { DiscoveryRegistryStore, EventPublisher, NatsConnection, callRpc, connectNats } from '@orzo/bus';
import { DiscoveryRegistry, ReplicaRef, Rpcs, Subjects } from '@orzo/contracts';
import { HttpAnswer, NatsServerHandle, freePort, httpGet, startNatsServer, waitFor } from '@orzo/testing';
import { HostPublisher, publishDeploy } from './host-publisher';

/**
 * The acknowledged drain on one host, with a real HAProxy and a real backend: a discovery-
 * publisher process (the registrar), a replica that is an HTTP server of this test (so the test
 * decides when a slow request ends), events through a private nats-server. And the host keys
 * that say which hosts a drain asks: refreshed while the publisher runs, left out once stale.
 */
describe('a host’s drain confirmation and its host key', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let events: EventPublisher;
  let host: HostPublisher;
  let registry: DiscoveryRegistryStore;
  let backend: Server;
  let proxyPort: number;
  const registration = `slow-${Math.random().toString(36).slice(2, 8)}.main`;
  /** The slow request's answer, held until the test releases it. */
  const slow: { arrived: boolean; release?: () => void; finishedAt?: number } = { arrived: false };
  let replica: ReplicaRef;

  before(async () => {
    nats = await startNatsServer();
    proxyPort = await freePort();
    const port = await freePort();
    backend = createServer((req, res) => {
      if (req.url !== '/slow') return void res.end('fast');
      slow.arrived = true;
      slow.release = () => {
        res.on('finish', () => (slow.finishedAt = Date.now()));
        res.end('slow done');
      };
    });
    await new Promise<void>((r) => backend.listen(port, '127.0.0.1', r));
    replica = {
      service: 'slow',
      instance: 'main',
      cluster: 'local',
      replicaId: 'r1',
      host: '127.0.0.1',
      port,
      gitSha: 'abc',
      configHash: 'c',
      forceBounce: '',
    };
    host = new HostPublisher('host-a', '127.0.0.2', nats.url, true);
    await host.start();
    nc = await connectNats(nats.url, 'host-drain-test');
    events = new EventPublisher(jetstream(nc), { source: 'test' });
    registry = await DiscoveryRegistryStore.open(nc);
  });
  after(async () => {
    slow.release?.();
    await host?.dispose();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r));
    await nc?.close();
    await nats?.dispose();
  });

  const drained = (withinMs: number) =>
    callRpc(nc, Rpcs.proxyDrained('host-a'), { replicaId: replica.replicaId, host: replica.host, port: replica.port, withinMs }, { timeout: withinMs + 5_000 });

  it('confirms a drain only once the request in flight to the replica has finished', async () => {
    await publishDeploy(events, 'slow', registration, proxyPort, { healthcheckUri: '/', timeoutServerMs: 30_000 });
    await events.publish(Subjects.InstanceHealthy, { replica, checkOutput: 'ok', registrations: [registration] });
    await waitFor(async () => (await host.get(proxyPort)) === '200:fast', { timeoutMs: 15_000, what: 'HAProxy to route to the replica' });

    // A slow request through HAProxy, held by the replica; then the replica is announced draining.
    const inFlight: Promise<HttpAnswer> = httpGet(`http://127.0.0.2:${proxyPort}/slow`, 30_000);
    await waitFor(() => slow.arrived, { what: 'the slow request to reach the replica' });
    await events.publish(Subjects.InstanceUnhealthy, { replica, checkOutput: 'draining: bounce', consecutiveFailures: 0, registrations: [registration] });

    // Out of rotation (the registrar handled the event, the slot is in maintenance), yet not drained: a session is open.
    await waitFor(async () => (await registry.endpoints(registration)).length === 0, { what: 'the registrar to take r1 out of the registry' });
    const early = await drained(1_500);
    assert.equal(early.drained, false);
    assert.match(early.detail, /host-a: 1 session\(s\) still open/);
    assert.match(await host.get(proxyPort), /^503:/, 'no new request goes to it');

    // Asked with a long wait: no answer while the request runs; drained once it has finished.
    let answeredAt: number | undefined;
    const confirmation = drained(20_000).then((a) => ((answeredAt = Date.now()), a));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(answeredAt, undefined, 'no confirmation while the request is in flight');
    slow.release!();
    const answer = await confirmation;
    assert.equal(answer.drained, true, answer.detail);
    assert.ok(slow.finishedAt !== undefined && answeredAt! >= slow.finishedAt, 'confirmed after the response went out');
    assert.deepEqual(await inFlight, { status: 200, body: 'slow done' }, 'the request in flight was not cut');
  });

  it('counts the sessions at the replica’s bridge address when HAProxy reaches it there', async (t) => {
    // A replica published on loopback whose bridge address is on one of this host's interfaces:
    // HAProxy routes to the bridge address, so that is where the drain must look for sessions.
    const ip = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!ip) return t.skip('no non-loopback IPv4 interface to stand for a bridge network');
    const bridgePort = await freePort();
    let release: (() => void) | undefined;
    const bridged = createServer((req, res) => {
      if (req.url !== '/slow') return void res.end('bridged');
      release = () => res.end('slow done');
    });
    await new Promise<void>((r) => bridged.listen(bridgePort, ip, r));
    t.after(() => (release?.(), bridged.closeAllConnections(), new Promise((r) => bridged.close(r))));
    const reg = `bridged-${Math.random().toString(36).slice(2, 8)}.main`;
    const port = await freePort();
    const published = await freePort(); // nothing listens there: only the bridge address answers
    const r2: ReplicaRef = { ...replica, service: 'bridged', replicaId: 'r2', port: published, bridgeIp: ip, bridgePort };
    await publishDeploy(events, 'bridged', reg, port, { healthcheckUri: '/', timeoutServerMs: 30_000 });
    await events.publish(Subjects.InstanceHealthy, { replica: r2, checkOutput: 'ok', registrations: [reg] });
    await waitFor(async () => (await host.get(port)) === '200:bridged', { timeoutMs: 15_000, what: 'HAProxy to route to the bridge address' });
    const inFlight = httpGet(`http://127.0.0.2:${port}/slow`, 30_000);
    await waitFor(() => release !== undefined, { what: 'the slow request to reach the replica' });
    await events.publish(Subjects.InstanceUnhealthy, { replica: r2, checkOutput: 'draining: bounce', consecutiveFailures: 0, registrations: [reg] });
    await waitFor(async () => (await registry.endpoints(reg)).length === 0, { what: 'the registrar to take r2 out of the registry' });
    const ask = { replicaId: r2.replicaId, host: r2.host, port: published, bridgeIp: ip, bridgePort, withinMs: 1_000 };
    const early = await callRpc(nc, Rpcs.proxyDrained('host-a'), ask, { timeout: 6_000 });
    assert.equal(early.drained, false, 'a session is open at the bridge address');
    assert.match(early.detail, /1 session\(s\) still open/);
    release!();
    assert.deepEqual(await inFlight, { status: 200, body: 'slow done' });
    const after = await callRpc(nc, Rpcs.proxyDrained('host-a'), { ...ask, withinMs: 10_000 }, { timeout: 15_000 });
    assert.equal(after.drained, true, after.detail);
  });

  it('refreshes its host key while it runs; a host that stopped refreshing is not asked, and forgotten after an hour', async () => {
    const kv = await new Kvm(nc).open(DiscoveryRegistry.bucket);
    const hostKey = DiscoveryRegistry.hostKey('host-a');
    const first = (await kv.get(hostKey))!.string();
    await waitFor(async () => (await kv.get(hostKey))!.string() > first, {
      timeoutMs: DiscoveryRegistry.hostRefreshMs * 5,
      what: 'host-a to refresh its key',
    });
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    await registry.putHost('host-b', ago(DiscoveryRegistry.hostRefreshMs)); // refreshed lately
    await registry.putHost('host-gone', ago(DiscoveryRegistry.hostMaxAgeMs + 5_000)); // stopped refreshing
    await registry.putHost('host-long-gone', ago(DiscoveryRegistry.hostForgetMs + 60_000));
    assert.deepEqual(await registry.hosts(), ['host-a', 'host-b'], 'only the hosts whose key is fresh confirm a drain');
    assert.deepEqual(await registry.forgetHosts(DiscoveryRegistry.hostForgetMs), ['host-long-gone']);
    assert.deepEqual(await registry.hosts(Infinity), ['host-a', 'host-b', 'host-gone']);
    // A host that comes back refreshes its key: asked again.
    await registry.putHost('host-gone', new Date().toISOString());
    assert.deepEqual(await registry.hosts(), ['host-a', 'host-b', 'host-gone']);
  });
});
