import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadyHistory } from './routed-history';

const A = '172.17.0.5:8080';
const B = '172.17.0.6:8080';

describe("bench:routed's record of what HAProxy showed ready", () => {
  it('bounds a replica between the last poll not showing it (sent) and the first showing it (answered)', () => {
    const h = new ReadyHistory();
    h.record(100, 100.2, new Set([B]));
    h.record(100.3, 100.5, new Set([B]));
    h.record(100.6, 100.9, new Set([A, B]));
    h.record(101, 101.2, new Set([A, B]));
    assert.deepEqual(h.place(100, [A]), { kind: 'routed', notBefore: 100.3, routedAt: 100.9, pollMs: 100.9 - 100.6, idleMs: 100.6 - 100.5 });
  });

  it('places a replica whose address reaches the poller after the slot was seen ready, by the polls made before', () => {
    const h = new ReadyHistory();
    h.record(99.75, 100, new Set());
    h.record(100.25, 100.5, new Set([A]));
    assert.equal(h.place(100, ['127.0.0.1:32768']), undefined);
    h.record(100.5, 100.75, new Set([A]));
    assert.deepEqual(h.place(100, ['127.0.0.1:32768', A]), { kind: 'routed', notBefore: 100, routedAt: 100.5, pollMs: 0.25, idleMs: 0.25 });
  });

  it('takes healthyAt as the lower bound when the last poll not showing it was sent before', () => {
    const h = new ReadyHistory();
    h.record(99, 99.2, new Set());
    h.record(101, 101.5, new Set([A]));
    assert.deepEqual(h.place(100, [A]), { kind: 'routed', notBefore: 100, routedAt: 101.5, pollMs: 0.5, idleMs: 1 });
  });

  it('counts a poll sent just before healthyAt and answered after it (HAProxy may have read the state after)', () => {
    const h = new ReadyHistory();
    h.record(99, 99.5, new Set());
    h.record(99.75, 102, new Set([A]));
    assert.deepEqual(h.place(100, [A]), { kind: 'routed', notBefore: 100, routedAt: 102, pollMs: 2.25, idleMs: 0 });
  });

  it('waits while no poll answered since healthyAt showed it ready', () => {
    const h = new ReadyHistory();
    h.record(100, 100.2, new Set([B]));
    assert.equal(h.place(100, [A]), undefined);
  });

  it('calls early an address already ready at a poll answered by healthyAt (a stale one, not a sample)', () => {
    const h = new ReadyHistory();
    h.record(99, 99.2, new Set([A]));
    h.record(100.5, 100.7, new Set([A]));
    assert.deepEqual(h.place(100, [A]), { kind: 'early', readyAt: 99.2 });
    const g = new ReadyHistory();
    g.record(99, 99.2, new Set([A]));
    g.record(100.5, 100.7, new Set([A, B]));
    assert.deepEqual(g.place(100, [A]), { kind: 'early', readyAt: 100.7 });
  });

  it('forgets runs of polls older than it keeps, but not the newest', () => {
    const h = new ReadyHistory(1_000);
    h.record(0, 0.2, new Set([A]));
    h.record(5_000, 5_000.25, new Set([B]));
    assert.equal(h.place(0, [A]), undefined);
    assert.deepEqual(h.place(4_000, [B]), { kind: 'routed', notBefore: 4_000, routedAt: 5_000.25, pollMs: 0.25, idleMs: 1_000 });
  });
});
