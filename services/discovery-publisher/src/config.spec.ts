import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@orzo/platform';
import { discoveryPublisherConfigShape } from './config';

const load = (env: NodeJS.ProcessEnv) => loadConfig('discovery-publisher', discoveryPublisherConfigShape, env);

describe('discovery-publisher config', () => {
  it('defaults to one host: the hostname, frontends on 127.0.0.1, and the registrar role', () => {
    const c = load({});
    assert.equal(c.ORZO_HOST_ID, hostname());
    assert.equal(c.ORZO_PROXY_BIND, '127.0.0.1');
    assert.equal(c.ORZO_DISCOVERY_REGISTRAR, true);
    assert.equal(c.ORZO_PROXY_BRIDGE_ADDRESSES, true, 'replicas of this host at their bridge addresses');
  });

  it('reads a follower host', () => {
    const c = load({ ORZO_HOST_ID: 'node-2', ORZO_PROXY_BIND: '0.0.0.0', ORZO_DISCOVERY_REGISTRAR: 'false', ORZO_PROXY_BRIDGE_ADDRESSES: 'false' });
    assert.deepEqual([c.ORZO_HOST_ID, c.ORZO_PROXY_BIND, c.ORZO_DISCOVERY_REGISTRAR, c.ORZO_PROXY_BRIDGE_ADDRESSES], ['node-2', '0.0.0.0', false, false]);
  });

  it('refuses a bind that is not an IPv4 address, a bad host id and a registrar flag that is not true/false', () => {
    assert.throws(
      () => load({ ORZO_PROXY_BIND: 'localhost', ORZO_HOST_ID: 'a b', ORZO_DISCOVERY_REGISTRAR: 'yes' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.length === 3 &&
        /ORZO_PROXY_BIND: expected an IPv4 address/.test(err.message) &&
        /ORZO_HOST_ID: expected a host name \(no spaces/.test(err.message) &&
        /ORZO_DISCOVERY_REGISTRAR: .*\(got "yes"\)/.test(err.message),
    );
  });
});
