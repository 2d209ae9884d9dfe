import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registration } from '@orzo/contracts';
import { SLOTS, balanceOf, renderHaproxyConfig } from './haproxy-config';

const reg = (name: string, proxyPort: number) =>
  Registration.fromPartial({ name, proxyPort, mode: 'http', timeoutConnectMs: 200, timeoutServerMs: 1000, retries: 1 });

describe('renderHaproxyConfig', () => {
  it('binds every frontend on 127.0.0.1 by default (one machine)', () => {
    const cfg = renderHaproxyConfig([reg('web.main', 20001)], '/run/h.sock');
    assert.match(cfg, /^ {2}bind 127\.0\.0\.1:20001$/m);
  });

  it('binds every frontend on the host’s address when given (ORZO_PROXY_BIND)', () => {
    const cfg = renderHaproxyConfig([reg('b.main', 20002), reg('a.main', 20001)], '/run/h.sock', '0.0.0.0');
    assert.deepEqual(cfg.match(/bind .*/g), ['bind 0.0.0.0:20001', 'bind 0.0.0.0:20002']);
    assert.equal(cfg.match(new RegExp(`server-template slot 1-${SLOTS} `, 'g'))?.length, 2);
  });

  it('renders lb_policy, timeout_client_ms and a backend per endpoint_timeouts path (longest first; ^ is a regex)', () => {
    const cfg = renderHaproxyConfig(
      [
        Registration.fromPartial({
          ...reg('a.main', 20001),
          lbPolicy: 'RING_HASH',
          timeoutClientMs: 5000,
          endpointTimeouts: [
            { path: '/a', timeoutMs: 3000 },
            { path: '^/b/[0-9]+', timeoutMs: 4000 },
          ],
        }),
      ],
      '/run/h.sock',
    );
    assert.match(
      cfg,
      /timeout client 5000ms\n {2}acl endpoint1 path_reg "\^\/b\/\[0-9\]\+"\n {2}use_backend a\.main\.endpoint1 if endpoint1\n {2}acl endpoint2 path_beg "\/a"/,
    );
    assert.equal(cfg.match(/balance source\n {2}hash-type consistent/g)?.length, 3);
    assert.deepEqual(cfg.match(/timeout server \d+ms/g), ['timeout server 1000ms', 'timeout server 4000ms', 'timeout server 3000ms']);
    assert.deepEqual(balanceOf(''), ['balance roundrobin'], 'PaaSTA’s default: ROUND_ROBIN');
  });
});
