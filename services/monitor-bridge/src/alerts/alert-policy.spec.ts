import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckStatus } from '../checks/check-result';
import { AlertAction, AlertState, AlertTiming, INITIAL_STATE, applyResult } from './alert-policy';

/** Runs a series of (seconds, status) through the policy and returns the actions taken. */
function run(timing: AlertTiming, steps: Array<[number, CheckStatus]>): AlertAction[] {
  let state: AlertState = INITIAL_STATE;
  const actions: AlertAction[] = [];
  for (const [s, status] of steps) {
    const r = applyResult(state, status, `at ${s}`, timing, s * 1000);
    state = r.next;
    actions.push(r.action);
  }
  return actions;
}

const C = CheckStatus.CRITICAL;
const OK = CheckStatus.OK;

describe('alert policy', () => {
  it('fires only once the condition has held for alert_after, and resolves on OK', () => {
    const t = { alertAfterSeconds: 10, realertEvery: 0, realertEverySeconds: 0 };
    assert.deepEqual(
      run(t, [
        [0, C],
        [5, C],
        [10, C],
        [15, C],
        [20, OK],
      ]),
      ['none', 'none', 'raise', 'none', 'resolve'],
    );
  });

  it('a failure that clears before alert_after never fires and restarts the clock', () => {
    const t = { alertAfterSeconds: 10, realertEvery: 0, realertEverySeconds: 0 };
    assert.deepEqual(
      run(t, [
        [0, C],
        [8, OK],
        [9, C],
        [18, C],
        [19, C],
      ]),
      ['none', 'none', 'none', 'none', 'raise'],
    );
  });

  it('realert_every n repeats every n runs while it holds', () => {
    const t = { alertAfterSeconds: 0, realertEvery: 2, realertEverySeconds: 0 };
    assert.deepEqual(
      run(
        t,
        [0, 1, 2, 3, 4].map((s) => [s, C]),
      ),
      ['raise', 'none', 'repeat', 'none', 'repeat'],
    );
  });

  it('realert_every -1 backs off exponentially (runs 2, 4, 8 after the raise)', () => {
    const t = { alertAfterSeconds: 0, realertEvery: -1, realertEverySeconds: 0 };
    const actions = run(
      t,
      Array.from({ length: 9 }, (_, i) => [i, C] as [number, CheckStatus]),
    );
    assert.deepEqual(actions.map((a, i) => (a === 'none' ? '' : `${i + 1}:${a}`)).filter(Boolean), ['1:raise', '2:repeat', '4:repeat', '8:repeat']);
  });

  it('realert_every as a duration repeats by time, and a change of severity re-raises', () => {
    const t = { alertAfterSeconds: 0, realertEvery: 0, realertEverySeconds: 30 };
    assert.deepEqual(
      run(t, [
        [0, C],
        [10, C],
        [30, C],
        [35, CheckStatus.WARNING],
        [40, CheckStatus.WARNING],
      ]),
      ['raise', 'none', 'repeat', 'repeat', 'none'],
    );
  });

  it('every published transition gets a new sequence number (a re-publish of one is a duplicate)', () => {
    const t = { alertAfterSeconds: 0, realertEvery: 1, realertEverySeconds: 0 };
    let s = INITIAL_STATE;
    const seqs: number[] = [];
    for (const status of [C, C, OK, OK, C]) {
      s = applyResult(s, status, '', t, 0).next;
      seqs.push(s.seq);
    }
    assert.deepEqual(seqs, [1, 2, 3, 3, 4]);
  });
});
