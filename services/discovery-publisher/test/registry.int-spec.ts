import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NatsConnection, connectNats } from '@orzo/bus';
import { NatsServerHandle, startNatsServer } from '@orzo/testing';
import { RegistryEndpoint } from '@orzo/contracts';
import { Registry } from '../src/registry';

describe('Registry (the shared endpoint registry in NATS KV)', () => {
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const endpoint = (replicaId: string, since: string) => ({ host: '10.1.0.7', port: 31001, replicaId, weight: 10, since });
  /** An event about a replica as the registrar takes it: observed, and when newer, its mark written. */
  const newer = async (registry: Registry, replicaId: string, at: string) => {
    if (!registry.observe(replicaId, at)) return false;
    await registry.persistSeen(replicaId, at);
    return true;
  };
  /** The registrar's add: true when the list changed, then written. */
  const put = async (registry: Registry, registration: string, entry: RegistryEndpoint) => {
    if (!registry.add(registration, entry)) return false;
    await registry.persist(registration);
    return true;
  };
  /** The registrar's drop: each list it changed written; the registrations it left. */
  const remove = async (registry: Registry, replicaId: string) => {
    const changed = registry.drop(replicaId);
    await Promise.all(changed.map((registration) => registry.persist(registration)));
    return changed;
  };

  before(async () => {
    nats = await startNatsServer();
    nc = await connectNats(nats.url, 'registry-test');
  });
  after(async () => {
    await nc.close();
    await nats.dispose();
  });

  it('refuses an event older than the last one seen about a replica, also after a reopen', async () => {
    const registry = await Registry.open(nc);
    assert.equal(await newer(registry, 'r1', '2026-01-01T00:00:02Z'), true);
    assert.equal(await newer(registry, 'r1', '2026-01-01T00:00:01Z'), false);
    const reopened = await Registry.open(nc);
    assert.equal(await newer(reopened, 'r1', '2026-01-01T00:00:01Z'), false);
    assert.equal(await newer(reopened, 'r1', '2026-01-01T00:00:03Z'), true);
  });

  it('a retired replica is never brought back by a later event, even by a new registrar process', async () => {
    const registry = await Registry.open(nc);
    assert.equal(await newer(registry, 'r2', '2026-01-01T00:00:00Z'), true);
    assert.equal(await put(registry, 'web.main', endpoint('r2', '2026-01-01T00:00:00Z')), true);
    await registry.retire('r2');
    assert.deepEqual(await remove(registry, 'r2'), ['web.main']);
    // monitor-bridge, restarted, announces the draining replica healthy again: refused.
    assert.equal(await newer(registry, 'r2', new Date().toISOString()), false);
    const reopened = await Registry.open(nc);
    assert.equal(await newer(reopened, 'r2', '2999-01-01T00:00:00Z'), false);
    assert.deepEqual(reopened.list('web.main'), []);
  });

  it('add reports a change only when the replica or its address is new; drop names the registrations it left', async () => {
    const registry = await Registry.open(nc);
    assert.equal(await put(registry, 'api.main', endpoint('r3', 't1')), true);
    assert.equal(await put(registry, 'api.main', endpoint('r3', 't2')), false);
    assert.equal(await put(registry, 'api.main', { ...endpoint('r3', 't3'), host: '10.1.0.8' }), true);
    assert.equal(await put(registry, 'api.canary', endpoint('r3', 't3')), true);
    assert.deepEqual((await remove(registry, 'r3')).sort(), ['api.canary', 'api.main']);
    assert.deepEqual(await remove(registry, 'r3'), []);
    assert.deepEqual((await Registry.open(nc)).list('api.main'), []);
  });
});
