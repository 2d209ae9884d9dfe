import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unfinishedStreams } from './one-off';

/** One frame of Docker's multiplexed log stream. */
const frame = (stream: 1 | 2, text: string): Buffer => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('one-off output: lines not finished yet', () => {
  it('counts the streams whose last frame has no newline (demuxLogs puts their lines last)', () => {
    assert.equal(unfinishedStreams(Buffer.alloc(0)), 0);
    assert.equal(unfinishedStreams(Buffer.concat([frame(1, 't a\n'), frame(2, 't b\n')])), 0);
    assert.equal(unfinishedStreams(Buffer.concat([frame(1, 't a\n'), frame(1, 't half')])), 1);
    assert.equal(unfinishedStreams(Buffer.concat([frame(1, 't half'), frame(2, 't err'), frame(1, 'f\n')])), 1);
    assert.equal(unfinishedStreams(Buffer.concat([frame(1, 't half'), frame(2, 't err')])), 2);
  });
});
