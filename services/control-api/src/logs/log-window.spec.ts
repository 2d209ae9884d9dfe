import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplicaLine, SeenLines, sinceToUnix } from './log-window';

describe('orzo logs --since', () => {
  const now = Date.parse('2026-11-30T06:00:00.000Z');

  it('takes a duration back from now or an RFC 3339 time, as unix seconds', () => {
    assert.equal(sinceToUnix('10m', now), String((now - 600_000) / 1000) + '.000');
    assert.equal(sinceToUnix('2026-11-30T05:00:00Z', now), String((now - 3_600_000) / 1000) + '.000');
  });

  it('refuses anything else', () => {
    for (const bad of ['ten minutes', '10', 'yesterday', '2026-13-45T99:00:00Z']) assert.equal(sinceToUnix(bad, now), undefined, bad);
  });
});

describe('orzo logs -f: pages that overlap', () => {
  const l = (replicaId: string, at: string, line: string): ReplicaLine => ({
    at,
    cluster: 'local',
    instance: 'main',
    replicaId,
    replicaName: replicaId,
    stream: 'stdout',
    line,
  });

  it('shows each line once, and a replica first seen in a later page from its first line', () => {
    const seen = new SeenLines();
    assert.deepEqual(
      seen.fresh([l('a', '2026-11-30T06:00:01.000000000Z', 'a1'), l('a', '2026-11-30T06:00:02.000000000Z', 'a2')]).map((x) => x.line),
      ['a1', 'a2'],
    );
    const next = seen.fresh([
      l('a', '2026-11-30T06:00:02.000000000Z', 'a2'),
      l('b', '2026-11-30T06:00:01.500000000Z', 'b1'),
      l('a', '2026-11-30T06:00:03.000000000Z', 'a3'),
    ]);
    assert.deepEqual(
      next.map((x) => x.line),
      ['b1', 'a3'],
    );
  });
});
