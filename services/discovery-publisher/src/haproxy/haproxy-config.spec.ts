import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registration } from '@orzo/contracts';
import { SLOTS, renderHaproxyConfig } from './haproxy-config';

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
});
