import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demuxLogs } from '../docker-engine';
import { StampedLine, mergeByTime, normalizeStamp } from './log-merge';

function frame(type: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('replica logs: reading the engine', () => {
  it('splits the multiplexed stream into stamped lines of stdout and stderr, joining a line cut across frames', () => {
    const raw = Buffer.concat([
      frame(1, '2026-11-30T06:00:00.1Z hello\n2026-11-30T06:00:00.2Z wor'),
      frame(2, '2026-11-30T06:00:00.15Z oops\n'),
      frame(1, 'ld\n'),
    ]);
    assert.deepEqual(demuxLogs(raw), [
      { at: '2026-11-30T06:00:00.1Z', stream: 'stdout', line: 'hello' },
      { at: '2026-11-30T06:00:00.15Z', stream: 'stderr', line: 'oops' },
      { at: '2026-11-30T06:00:00.2Z', stream: 'stdout', line: 'world' },
    ]);
  });

  it('pads the fraction of a stamp to nine digits, so stamps compare as strings in time order', () => {
    assert.equal(normalizeStamp('2026-11-30T06:00:00.5Z'), '2026-11-30T06:00:00.500000000Z');
    assert.equal(normalizeStamp('2026-11-30T06:00:00Z'), '2026-11-30T06:00:00.000000000Z');
    assert.equal(normalizeStamp('2026-11-30T07:00:00.123456789+01:00'), '2026-11-30T06:00:00.123456789Z');
    assert.ok(normalizeStamp('2026-11-30T06:00:00.5Z') > normalizeStamp('2026-11-30T06:00:00.123456789Z'));
  });
});

describe('replica logs: one timeline', () => {
  const line = (at: string, replicaId: string, text: string): StampedLine => ({ at: normalizeStamp(at), replicaId, stream: 'stdout', line: text });

  it('interleaves the replicas by time, keeping each replica in its own order', () => {
    const a = [line('2026-11-30T06:00:01Z', 'a', 'a1'), line('2026-11-30T06:00:03Z', 'a', 'a2')];
    const b = [line('2026-11-30T06:00:02Z', 'b', 'b1'), line('2026-11-30T06:00:04Z', 'b', 'b2')];
    const { lines, truncated } = mergeByTime([a, b], 1_000_000);
    assert.deepEqual(
      lines.map((l) => l.line),
      ['a1', 'b1', 'a2', 'b2'],
    );
    assert.equal(truncated, false);
  });

  it('keeps the newest lines that fit and says older ones were left out', () => {
    const many = Array.from({ length: 100 }, (_, n) =>
      line(`2026-11-30T06:00:${String(n % 60).padStart(2, '0')}.${String(n).padStart(3, '0')}Z`, 'a', 'x'.repeat(100)),
    );
    const { lines, truncated } = mergeByTime([many], 2_000);
    assert.equal(truncated, true);
    assert.ok(lines.length > 0 && lines.length < 100);
    assert.equal(lines[lines.length - 1], [...many].sort((x, y) => (x.at < y.at ? -1 : 1))[99]);
  });
});
