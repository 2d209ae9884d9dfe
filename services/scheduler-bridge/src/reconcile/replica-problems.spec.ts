import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplicaProblems, retryDelayMs } from './replica-problems';

describe('replica problems', () => {
  const replica = { id: 'c1', name: 'orzo-hello-main-1' };

  it('backs off 1 s, 2 s, 4 s ... up to 30 s', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n)),
      [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
    );
  });

  it('makes a failed action wait for its backoff, counts attempts and forgets it once it succeeds', () => {
    let now = 0;
    const p = new ReplicaProblems(() => now);
    assert.ok(p.due('k', 'c1', 'remove'));
    assert.equal(p.fail('k', replica, 'remove', new Error('device or resource busy')), 1_000);
    assert.ok(!p.due('k', 'c1', 'remove'));
    assert.ok(p.due('k', 'c1', 'stop'), 'another action of the same replica is not held back');
    now = 1_000;
    assert.ok(p.due('k', 'c1', 'remove'));
    assert.equal(p.fail('k', replica, 'remove', new Error('device or resource busy')), 2_000);
    const [problem] = p.list('k');
    assert.deepEqual(
      { ...problem, nextRetryAt: undefined },
      {
        replicaId: 'c1',
        replicaName: 'orzo-hello-main-1',
        action: 'remove',
        error: 'device or resource busy',
        attempts: 2,
        firstSeenAt: new Date(0).toISOString(),
        nextRetryAt: undefined,
      },
    );
    assert.equal(problem?.nextRetryAt, new Date(3_000).toISOString());
    p.succeed('k', 'c1', 'remove');
    assert.deepEqual(p.list('k'), []);
  });

  it('drops the problems of replicas that are gone, keeps the instance-wide ones until cleared', () => {
    const p = new ReplicaProblems(() => 0);
    p.fail('k', replica, 'remove', 'busy');
    p.fail('k', undefined, 'list', 'connect ENOENT /var/run/docker.sock');
    p.keepOnly('k', new Set());
    assert.deepEqual(
      p.list('k').map((x) => x.action),
      ['list'],
    );
    p.clearInstanceWide('k', 'list');
    assert.equal(p.signature('k'), '');
  });

  it('changes its signature with every failed attempt, so each one is reported', () => {
    const p = new ReplicaProblems(() => 0);
    p.fail('k', replica, 'remove', 'busy');
    const first = p.signature('k');
    p.fail('k', replica, 'remove', 'busy');
    assert.notEqual(p.signature('k'), first);
  });
});
