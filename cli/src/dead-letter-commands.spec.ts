import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api } from '@orzo/contracts';
import { formatTable } from './dead-letter-commands';

describe('orzo dead-letters table', () => {
  it('aligns the columns and keeps the whole reason last', () => {
    const row = (consumer: string, error: string, eventId: string): api.DeadLetter => ({
      sequence: '1',
      subject: `orzo.dlq.${consumer}.orzo.build.requested.v1`,
      consumer,
      originalSubject: 'orzo.build.requested.v1',
      error,
      deliveryCount: 1,
      parkedAt: '2026-11-30T03:00:00.123456789Z',
      eventId,
      originalSequence: '7',
    });
    const lines = formatTable([
      row('builder-on-build-requested', 'commit_sha "main" is not a hex git sha', 'e-1'),
      row('x', 'decode: body is not valid JSON', ''),
    ]).split('\n');
    assert.deepEqual(lines, [
      'PARKED AT            CONSUMER                    SUBJECT                  TRIES  EVENT ID  REASON',
      '2026-11-30T03:00:00  builder-on-build-requested  orzo.build.requested.v1  1      e-1       commit_sha "main" is not a hex git sha',
      '2026-11-30T03:00:00  x                           orzo.build.requested.v1  1      -         decode: body is not valid JSON',
    ]);
  });
});
