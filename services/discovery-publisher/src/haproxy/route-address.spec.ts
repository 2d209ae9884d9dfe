import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalNetworkCache, localNetworks, routeAddress } from './route-address';

describe('the address HAProxy routes a replica to', () => {
  const nets = localNetworks({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [{ address: '192.0.2.2', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.2/24' }],
    docker0: [{ address: '172.17.0.1', netmask: '255.255.0.0', family: 'IPv4', mac: '02:42:00:00:00:01', internal: false, cidr: '172.17.0.1/16' }],
  });

  it('is the bridge address of a replica published on this host, when this host is on its bridge', () => {
    assert.deepEqual(routeAddress({ host: '127.0.0.1', port: 32768, bridgeIp: '172.17.0.5', bridgePort: 8080 }, nets), { host: '172.17.0.5', port: 8080 });
  });

  it('is the published address otherwise: no bridge address, another host (Swarm), a bridge this host is not on, or turned off', () => {
    assert.deepEqual(routeAddress({ host: '127.0.0.1', port: 32768 }, nets), { host: '127.0.0.1', port: 32768 });
    assert.deepEqual(routeAddress({ host: '10.0.0.12', port: 30001, bridgeIp: '172.17.0.5', bridgePort: 8080 }, nets), { host: '10.0.0.12', port: 30001 });
    assert.deepEqual(routeAddress({ host: '127.0.0.1', port: 32768, bridgeIp: '10.231.4.2', bridgePort: 8080 }, nets), { host: '127.0.0.1', port: 32768 });
    assert.deepEqual(routeAddress({ host: '127.0.0.1', port: 32768, bridgeIp: '172.17.0.5', bridgePort: 8080 }, nets, false), {
      host: '127.0.0.1',
      port: 32768,
    });
  });

  it("reads this host's networks once, again when they are old or a local replica's bridge is on none of them", () => {
    let reads = 0;
    let clock = 0;
    const cache = new LocalNetworkCache(
      () => (reads++, nets),
      10_000,
      () => clock,
    );
    const local = { host: '127.0.0.1', bridgeIp: '172.17.0.5' };
    assert.equal(cache.for([local]), nets);
    cache.for([local, { host: '127.0.0.1' }, { host: '10.0.0.12', bridgeIp: '10.231.4.2' }]);
    assert.equal(reads, 1, 'known bridges and other hosts’ replicas need no new reading');
    cache.for([{ host: '127.0.0.1', bridgeIp: '10.231.4.2' }]);
    assert.equal(reads, 2, 'a bridge created since');
    clock = 10_001;
    cache.for([local]);
    assert.equal(reads, 3, 'too old');
  });
});
