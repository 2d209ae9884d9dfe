import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@orzo/platform';
import { MAX_FIELD_CHARS, fieldLimitProblems, refuseOverLimits } from './request-limits';

describe('request limits: no request field holds more than a row or an event can keep', () => {
  it('passes a request of ordinary sizes and characters', () => {
    const req = { service: 'hello', commitSha: 'a1b2c3d', buildArgs: { VERSION: 'x'.repeat(MAX_FIELD_CHARS) }, requestedBy: 'élise 👍', force: true };
    assert.equal(refuseOverLimits(req), req);
  });

  it('leaves bytes (a secret value, bounded by its method) alone rather than counting them as map entries', () => {
    assert.deepEqual(fieldLimitProblems({ service: 'hello', value: Buffer.alloc(10_000, 0) }), []);
  });

  it('names each field that is too long or holds a NUL, in .proto spelling, and a map with too many or bad entries', () => {
    const problems = fieldLimitProblems({
      service: 'hello',
      gitUrl: 'g'.repeat(5_000),
      buildId: 'x\u0000y',
      buildArgs: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`K${i}`, i === 7 ? 'v'.repeat(5_000) : 'v'])),
    });
    assert.deepEqual(problems, [
      'git_url is 5000 characters; at most 4096',
      'build_id contains a NUL character',
      'build_args has 300 entries; at most 256',
      'build_args entry "K7" value is 5000 characters; at most 4096',
    ]);
    assert.throws(() => refuseOverLimits({ requestedBy: 'r'.repeat(4_097) }), InvalidArgumentError);
  });
});
