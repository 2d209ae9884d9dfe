import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffLine, firingLine, problemLine, replicaRows } from './api-commands';

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

describe('orzo status: crash loop backoff and firing alerts', () => {
  it('tells a crash loop with the wait until its next start, or that it starts again now', () => {
    const p = {
      replicaId: '',
      replicaName: '',
      action: 'backoff',
      error: 'exited with code 1',
      attempts: 3,
      nextRetryAt: '2026-11-30T10:00:40.000Z',
      firstSeenAt: '',
    };
    assert.equal(backoffLine(p, Date.parse('2026-11-30T10:00:00.000Z')), 'crash loop, next start in 40s (3 crash(es) in a row; last: exited with code 1)');
    assert.equal(backoffLine(p, Date.parse('2026-11-30T10:01:00.000Z')), 'crash loop, starting again now (3 crash(es) in a row; last: exited with code 1)');
  });

  it('shows a firing alert with its severity, check, since when, team and output on one line', () => {
    const line = firingLine({
      alertId: 'local/check_paasta_services_replication.web.main',
      check: 'check_paasta_services_replication.web.main',
      service: 'web',
      instance: 'main',
      cluster: 'local',
      severity: 'critical',
      output: 'Service web.main has 1 out of 3\nexpected instances available',
      team: 'infra',
      page: true,
      raisedAt: '2026-11-30T10:00:00Z',
      failingSince: '2026-11-30T09:50:00Z',
      repeats: 0,
      deliveries: [],
      runbook: '',
    });
    assert.equal(
      line,
      'CRITICAL check_paasta_services_replication.web.main since 2026-11-30T10:00:00Z (team infra, pages): Service web.main has 1 out of 3 expected instances available',
    );
  });
});
