import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { problemLine, replicaRows } from './api-commands';

describe('orzo status: a replica problem', () => {
  it('says which replica, which engine call, how often, when it is retried and what the engine said', () => {
    const line = problemLine(
      {
        replicaId: '0123456789abcdef',
        replicaName: 'orzo-hello-main-1',
        action: 'remove',
        error: 'device or resource busy',
        attempts: 3,
        nextRetryAt: new Date(14_000).toISOString(),
        firstSeenAt: new Date(0).toISOString(),
      },
      10_000,
    );
    assert.equal(line, 'orzo-hello-main-1: remove failed 3x, next retry in 4s: device or resource busy');
  });

  it('names the instance when the problem is not of one replica', () => {
    assert.match(
      problemLine({ replicaId: '', replicaName: '', action: 'list', error: 'connect ENOENT', attempts: 1, nextRetryAt: '', firstSeenAt: '' }),
      /^\(instance\): list failed 1x: connect ENOENT$/,
    );
  });
});

describe('orzo status: the replicas table', () => {
  it('shows the host each replica runs on in a column of its own', () => {
    const r = (replicaId: string, host: string, port: number, gitSha: string) => ({
      replicaId,
      host,
      port,
      gitSha,
      state: 'Healthy',
      startedAt: '',
      detail: '',
      consecutiveFailures: 0,
      old: false,
    });
    assert.deepEqual(replicaRows([r('aaaaaaaaaaaaaaaa', '10.20.0.11', 31001, 'new12345xx'), r('bbbb', '10.20.0.2', 31001, 'old12345xx')], 'new12345xx'), [
      'REPLICA       HOST        PORT   VERSION         STATE',
      'aaaaaaaaaaaa  10.20.0.11  31001  new12345 (new)  Healthy',
      'bbbb          10.20.0.2   31001  old12345 (old)  Healthy',
    ]);
    assert.deepEqual(replicaRows([], 'x'), []);
  });
});
