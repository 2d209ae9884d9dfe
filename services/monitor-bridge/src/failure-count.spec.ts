import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countsAsFailure } from './monitor.service';

describe('countsAsFailure: the fast checks before a first success count one failure per interval', () => {
  it('counts the first failure of a new replica, then none until an interval has passed', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const w: { healthy?: boolean; countedAt?: number } = {};
    assert.equal(countsAsFailure(w, 1_000), true);
    // Checked every 10 ms while starting: 99 more failures in the next second count for nothing.
    let counted = 0;
    for (let i = 0; i < 99; i++) {
      t.mock.timers.tick(10);
      if (countsAsFailure(w, 1_000)) counted++;
    }
    assert.equal(counted, 0);
    t.mock.timers.tick(10);
    assert.equal(countsAsFailure(w, 1_000), true, 'one interval after the last counted one');
  });

  it('counts every failure of a replica that has been healthy or unhealthy (checked at its interval)', () => {
    assert.equal(countsAsFailure({ healthy: true, countedAt: Date.now() }, 10_000), true);
    assert.equal(countsAsFailure({ healthy: false, countedAt: Date.now() }, 10_000), true);
  });
});
