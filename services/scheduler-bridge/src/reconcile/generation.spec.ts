import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planBounce } from './bounce';
import { isCurrentReplica } from './generation';

describe('orzo restart: a new restart token makes every running replica old', () => {
  const spec = { gitSha: 'a'.repeat(40), configHash: 'h1', forceBounce: '' };
  const running = [
    { id: 'r1', gitSha: spec.gitSha, configHash: 'h1', forceBounce: '' },
    { id: 'r2', gitSha: spec.gitSha, configHash: 'h1', forceBounce: '' },
  ];

  it('counts a replica of the same version and config but another token as old', () => {
    assert.ok(running.every((r) => isCurrentReplica(r, spec)));
    const restarted = { ...spec, forceBounce: '20261130T060000-abcd' };
    assert.ok(running.every((r) => !isCurrentReplica(r, restarted)));
    assert.ok(isCurrentReplica({ ...running[0]!, forceBounce: restarted.forceBounce }, restarted));
  });

  it('so a crossover starts n new replicas and drains the old only as new ones become happy', () => {
    const restarted = { ...spec, forceBounce: 't2' };
    const old = running.filter((r) => !isCurrentReplica(r, restarted)).map((r) => ({ replica: r.id, happy: true }));
    assert.deepEqual(planBounce({ n: 2, marginFactor: 1, method: 'crossover', old, new: [] }), { start: 2, drain: [], surplus: [] });
    const fresh = [
      { replica: 'n1', happy: true },
      { replica: 'n2', happy: false },
    ];
    assert.deepEqual(planBounce({ n: 2, marginFactor: 1, method: 'crossover', old, new: fresh }), { start: 0, drain: ['r2'], surplus: [] });
  });

  it('while scaling (same token) starts or drains only the difference, never a happy replica while an unhappy one is surplus', () => {
    const current = [
      { replica: 'r1', happy: true },
      { replica: 'r2', happy: false },
      { replica: 'r3', happy: true },
    ];
    assert.deepEqual(planBounce({ n: 6, marginFactor: 1, method: 'crossover', old: [], new: current }), { start: 3, drain: [], surplus: [] });
    assert.deepEqual(planBounce({ n: 2, marginFactor: 1, method: 'crossover', old: [], new: current }), { start: 0, drain: [], surplus: ['r2'] });
  });
});
