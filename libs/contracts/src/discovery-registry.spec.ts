import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiscoveryRegistry } from './discovery-registry';

describe('the discovery registry contract', () => {
  it('says what each key holds, keeping dots of the registration name', () => {
    assert.deepEqual(DiscoveryRegistry.parseKey(DiscoveryRegistry.endpointsKey('web.main')), { kind: 'endpoints', registration: 'web.main' });
    assert.deepEqual(DiscoveryRegistry.parseKey(DiscoveryRegistry.frontendKey('web.main')), { kind: 'frontend', registration: 'web.main' });
    assert.deepEqual(DiscoveryRegistry.parseKey(DiscoveryRegistry.seenKey('r1')), { kind: 'seen', replicaId: 'r1' });
    assert.deepEqual(DiscoveryRegistry.parseKey(DiscoveryRegistry.hostKey('node-1.example.com')), { kind: 'host', host: 'node-1_example_com' });
    assert.equal(DiscoveryRegistry.parseKey('weights.web.main'), undefined);
    assert.equal(DiscoveryRegistry.parseKey('endpoints'), undefined);
  });

  it('decodes an endpoint list it wrote, and names every problem of one it did not', () => {
    const list = [{ host: 'h', port: 80, replicaId: 'r1', weight: 1, since: '2026-01-01T00:00:00Z' }];
    assert.deepEqual(DiscoveryRegistry.decodeEndpoints(JSON.parse(DiscoveryRegistry.encodeEndpoints(list))), { ok: true, value: list });
    const bad = DiscoveryRegistry.decodeEndpoints([{ host: 'h', port: 70000 }]);
    assert.deepEqual(!bad.ok && bad.problems.map((p) => p.split(':')[0]), ['0.port', '0.replicaId', '0.weight', '0.since']);
  });

  it('takes a host whose key was not refreshed for hostMaxAgeMs for gone, and a value that is no time for live', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    assert.equal(DiscoveryRegistry.isLiveHost('2026-01-01T00:00:55Z', now), true);
    assert.equal(DiscoveryRegistry.isLiveHost(new Date(now - DiscoveryRegistry.hostMaxAgeMs).toISOString(), now), true);
    assert.equal(DiscoveryRegistry.isLiveHost(new Date(now - DiscoveryRegistry.hostMaxAgeMs - 1).toISOString(), now), false);
    assert.equal(DiscoveryRegistry.isLiveHost('2026-01-01T00:01:03Z', now), true, 'a clock a little ahead');
    assert.equal(DiscoveryRegistry.isLiveHost('since boot', now), true);
    assert.ok(DiscoveryRegistry.hostRefreshMs * 3 <= DiscoveryRegistry.hostMaxAgeMs, 'a few refreshes may be late or lost');
  });
});
