import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Replica } from './replica.entity';
import type { ReplicaExit } from './replica-exit.entity';
import { oneLine, replicaState, stuckReasons } from './replica-states';

const replica = (o: Partial<Replica>): Replica => ({
  replicaId: '0123456789abcdef',
  service: 'hello',
  instance: 'main',
  cluster: 'local',
  host: '127.0.0.1',
  port: 30000,
  gitSha: 'a'.repeat(40),
  configHash: 'c',
  state: 'Healthy',
  detail: '',
  failures: 0,
  forceBounce: '',
  updatedAt: '2026-11-30T06:00:00.000Z',
  ...o,
});
const exit: ReplicaExit = {
  replicaId: 'dead',
  service: 'hello',
  cluster: 'local',
  instance: 'main',
  gitSha: 'a'.repeat(40),
  reason: 'exited with code 137',
  at: '2026-11-30T05:59:00.000Z',
};
const now = Date.parse('2026-11-30T06:01:00.000Z');

describe('orzo status -v: replica states', () => {
  it('is Warning when it became healthy after a replica of its instance exited on its own, recently', () => {
    assert.equal(replicaState(replica({}), exit, now), 'Warning');
    assert.equal(replicaState(replica({ updatedAt: '2026-11-30T05:58:00.000Z' }), exit, now), 'Healthy');
    assert.equal(replicaState(replica({}), exit, now + 11 * 60_000), 'Healthy');
  });

  it('passes Starting and Terminating through', () => {
    assert.equal(replicaState(replica({ state: 'Starting' }), exit, now), 'Starting');
    assert.equal(replicaState(replica({ state: 'Terminating' }), undefined, now), 'Terminating');
  });
});

describe('orzo status: why an instance has not converged', () => {
  it('names each failing replica with its check output, the recent exits, the bounce and the engine errors', () => {
    const reasons = stuckReasons({
      replicas: [
        { ...replica({ state: 'Not Ready', failures: 3, detail: 'HTTP 500 from /status' }), shownState: 'Not Ready' },
        { ...replica({ replicaId: 'fedcba9876543210' }), shownState: 'Healthy' },
      ],
      exits: [exit],
      progress: '1/3 new replicas happy, 2 old left',
      problems: [{ replicaName: 'orzo-hello-main-x', action: 'remove', attempts: 2, error: 'device or resource busy' }],
      now,
    });
    assert.deepEqual(reasons, [
      'replica 0123456789ab is failing its health check (3x in a row): HTTP 500 from /status',
      '1 replica(s) exited on their own in the last 10m (restarts); last: exited with code 137 at 2026-11-30T05:59:00.000Z',
      '1/3 new replicas happy, 2 old left',
      'remove of orzo-hello-main-x failed 2x: device or resource busy',
    ]);
  });

  it('tells a crash loop waiting out its restart backoff', () => {
    const reasons = stuckReasons({
      replicas: [],
      exits: [],
      problems: [{ replicaName: '', action: 'backoff', attempts: 4, error: 'exited with code 1', nextRetryAt: new Date(now + 40_000).toISOString() }],
      now,
    });
    assert.deepEqual(reasons, ['crash loop, next start in 40s (4 crash(es) in a row; last: exited with code 1)']);
  });
});

describe('orzo status: a check output as a reason', () => {
  it('is one line of at most 300 characters', () => {
    assert.equal(oneLine('HTTP 404 <HTML>\n<BODY>Not Found</BODY>\n</HTML>\n'), 'HTTP 404 <HTML> <BODY>Not Found</BODY> </HTML>');
    assert.equal(oneLine('x'.repeat(400)).length, 300);
  });
});
