import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActionState, actionGraphProblem, nextActions } from './action-plan';

const a = (name: string, ...requires: string[]) => ({ name, requires });

describe('the requires DAG, step by step', () => {
  const dag = [a('extract'), a('clean'), a('load', 'extract', 'clean'), a('report', 'load')];

  it('starts every action without requirements at once, in parallel', () => {
    assert.deepEqual(nextActions(dag, new Map()), { start: ['extract', 'clean'], skip: [], done: false });
  });

  it('starts an action when all its requirements succeeded, not before', () => {
    const states = new Map<string, ActionState>([
      ['extract', 'succeeded'],
      ['clean', 'running'],
    ]);
    assert.deepEqual(nextActions(dag, states).start, []);
    states.set('clean', 'succeeded');
    assert.deepEqual(nextActions(dag, states).start, ['load']);
  });

  it('skips an action whose requirement failed, then what requires it, and ends', () => {
    const states = new Map<string, ActionState>([
      ['extract', 'failed'],
      ['clean', 'succeeded'],
    ]);
    const first = nextActions(dag, states);
    assert.deepEqual(first.skip, [{ name: 'load', because: 'requirement extract failed' }]);
    states.set('load', 'skipped');
    const second = nextActions(dag, states);
    assert.deepEqual(second.skip, [{ name: 'report', because: 'requirement load skipped' }]);
    states.set('report', 'skipped');
    assert.equal(nextActions(dag, states).done, true);
  });

  it('a killed requirement skips too; a run with one still running is not done', () => {
    const states = new Map<string, ActionState>([
      ['extract', 'killed'],
      ['clean', 'running'],
    ]);
    const step = nextActions(dag, states);
    assert.deepEqual(step.skip, [{ name: 'load', because: 'requirement extract killed' }]);
    assert.equal(step.done, false);
  });

  it('sample_tron_job: action2 requires action1', () => {
    const sample = [a('action1'), a('action2', 'action1')];
    assert.deepEqual(nextActions(sample, new Map()).start, ['action1']);
    assert.deepEqual(nextActions(sample, new Map([['action1', 'failed']])).skip, [{ name: 'action2', because: 'requirement action1 failed' }]);
  });

  it('refuses unknown requirements, cycles and an empty job', () => {
    assert.equal(actionGraphProblem(dag), null);
    assert.match(actionGraphProblem([a('x', 'nope')])!, /requires nope, which is not an action/);
    assert.match(actionGraphProblem([a('x', 'y'), a('y', 'x'), a('z')])!, /x, y require each other/);
    assert.match(actionGraphProblem([])!, /no actions/);
  });
});
