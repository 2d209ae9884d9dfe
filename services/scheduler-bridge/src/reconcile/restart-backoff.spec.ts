import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_RESET_MS, RestartBackoff, diedInCrashLoop, restartDelayMs } from './restart-backoff';

describe('crash restart backoff', () => {
  it('restarts at once after one crash, then waits backoff_seconds doubling per crash in a row, up to 300 s; 0 means 10 s', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => restartDelayMs(n, 10)),
      [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000],
    );
    assert.equal(restartDelayMs(2, 0), 10_000);
    assert.equal(restartDelayMs(4, 0.5), 2_000);
  });

  it('counts each dead replica once, waits, and reports a crash loop while it matters', () => {
    let now = 1_000_000;
    const b = new RestartBackoff(() => now);
    // Every replica found dead in one pass (killed with their engine) is one crash: restarted at once.
    b.record(
      's/c/i',
      'd1',
      ['a', 'x', 'y'].map((id) => ({ id, reason: 'exited with code 137' })),
      10,
    );
    b.record('s/c/i', 'd1', [{ id: 'a', reason: 'exited with code 137' }], 10);
    assert.equal(b.waitMs('s/c/i', 'd1'), 0);
    assert.equal(b.problem('s/c/i'), undefined, 'one crash, started again: no crash loop');
    now += 1_000;
    b.record('s/c/i', 'd1', [{ id: 'b', reason: 'exited with code 2' }], 10);
    assert.equal(b.waitMs('s/c/i', 'd1'), 10_000);
    const p = b.problem('s/c/i')!;
    assert.equal(p.action, 'backoff');
    assert.equal(p.error, 'exited with code 2');
    assert.equal(p.attempts, 2);
    now += 10_000;
    b.record('s/c/i', 'd1', [{ id: 'c', reason: 'exited with code 2' }], 10);
    assert.equal(b.waitMs('s/c/i', 'd1'), 20_000);
    assert.equal(b.waitMs('s/c/i', 'd2'), 0, 'another deploy is not held back');
    now += BACKOFF_RESET_MS + 1;
    b.record('s/c/i', 'd1', [{ id: 'd', reason: 'exited with code 1' }], 10);
    assert.equal(b.waitMs('s/c/i', 'd1'), 0, 'a crash after a quiet spell starts the count again');
  });

  it('replaces a replica that had passed its check at once, however often, and that ends a crash loop', () => {
    let now = 1_000_000;
    const b = new RestartBackoff(() => now);
    // A healthy replica SIGKILLed from outside, three times in a row, a second apart.
    for (const id of ['h1', 'h2', 'h3']) {
      b.record('s/c/i', 'd1', [{ id, reason: 'exited with code 137', crash: false }], 10);
      assert.equal(b.waitMs('s/c/i', 'd1'), 0, `${id}: replaced at once`);
      assert.equal(b.problem('s/c/i'), undefined);
      now += 1_000;
    }
    // Two crashes make a loop; a replica that then started fine and died ends it.
    b.record('s/c/i', 'd1', [{ id: 'c1', reason: 'exited with code 1' }], 10);
    b.record('s/c/i', 'd1', [{ id: 'c2', reason: 'exited with code 1' }], 10);
    assert.equal(b.waitMs('s/c/i', 'd1'), 10_000);
    now += 10_000;
    b.record('s/c/i', 'd1', [{ id: 'h4', reason: 'exited with code 137', crash: false }], 10);
    assert.equal(b.waitMs('s/c/i', 'd1'), 0);
    assert.equal(b.problem('s/c/i'), undefined);
    b.record('s/c/i', 'd1', [{ id: 'c3', reason: 'exited with code 1' }], 10);
    assert.equal(b.waitMs('s/c/i', 'd1'), 0, 'the first crash after it restarts at once again');
  });

  it('counts a death for the backoff only when the replica never started fine', () => {
    const t0 = '2026-11-30T10:00:00.000Z';
    const at = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();
    assert.equal(diedInCrashLoop({ checked: true, passedCheck: true, startedAt: t0, finishedAt: at(300) }), false, 'passed its check: no crash');
    assert.equal(diedInCrashLoop({ checked: true, passedCheck: false, startedAt: t0, finishedAt: at(60_000) }), true, 'never passed: a crash');
    assert.equal(diedInCrashLoop({ checked: true, passedCheck: false, startedAt: t0, finishedAt: at(BACKOFF_RESET_MS) }), false, 'ran 10 minutes');
    assert.equal(diedInCrashLoop({ checked: true, passedCheck: false }), true, 'uptime unknown, never passed');
    // Without a check, "passing" is only running: uptime decides.
    assert.equal(diedInCrashLoop({ checked: false, passedCheck: true, startedAt: t0, finishedAt: at(50) }), true);
    assert.equal(diedInCrashLoop({ checked: false, passedCheck: true, startedAt: t0, finishedAt: at(10_000) }), false);
  });
});
