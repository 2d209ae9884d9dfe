import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedAttempts, peerAddress } from './failed-attempts';

describe('failed authentication attempts', () => {
  it('the first failures are free, then each waits twice as long, up to the cap, per peer', () => {
    let now = 0;
    const f = new FailedAttempts({ free: 3, windowMs: 60_000, firstDelayMs: 100, maxMs: 1_000, maxPeers: 10 }, () => now);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      delays.push(f.delayFor('a'));
      f.failed('a');
    }
    assert.deepEqual(delays, [0, 0, 0, 100, 200, 400, 800]);
    assert.equal(f.delayFor('a'), 1_000);
    assert.equal(f.delayFor('b'), 0, 'another peer is not slowed');
    now += 60_001;
    assert.equal(f.delayFor('a'), 0, 'forgotten after the window');
  });

  it('keeps a bounded number of peers', () => {
    const f = new FailedAttempts({ free: 0, windowMs: 60_000, firstDelayMs: 100, maxMs: 1_000, maxPeers: 2 });
    for (const p of ['a', 'b', 'c']) f.failed(p);
    assert.equal(f.delayFor('a'), 0);
    assert.equal(f.delayFor('c'), 200, 'one failure past the free ones: twice the first delay');
  });

  it('takes the address out of a grpc-js peer', () => {
    assert.equal(peerAddress('ipv4:127.0.0.1:53422'), '127.0.0.1');
    assert.equal(peerAddress('ipv6:[::1]:5000'), '::1');
    assert.equal(peerAddress('unix:/tmp/x'), 'unix:/tmp/x');
  });
});
