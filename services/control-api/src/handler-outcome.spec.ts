import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outcome } from '@orzo/bus';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError, createLogger } from '@orzo/platform';
import { outcomeOf } from './handler-outcome';

const ctx = { log: createLogger('control-api-test', 'silent') };
const failing = (err: unknown) => () => Promise.reject(err);

describe('outcomeOf: how a control-api handler settles its event', () => {
  it('acks when the service call went through', async () => {
    assert.deepEqual(await outcomeOf(ctx, () => Promise.resolve('advanced')), Outcome.ack());
  });

  it('dead-letters a permanent domain error at once, naming it', async () => {
    assert.deepEqual(await outcomeOf(ctx, failing(new NotFoundError('unknown service nosuch'))), Outcome.deadLetter('NotFoundError: unknown service nosuch'));
    assert.deepEqual(await outcomeOf(ctx, failing(new InvalidArgumentError('bad sha'))), Outcome.deadLetter('InvalidArgumentError: bad sha'));
    assert.deepEqual(
      await outcomeOf(ctx, failing(new FailedPreconditionError('configs have errors'))),
      Outcome.deadLetter('FailedPreconditionError: configs have errors'),
    );
  });

  it('retries, with the consumer backoff, an unavailable dependency and any other fault', async () => {
    assert.deepEqual(
      await outcomeOf(ctx, failing(new UnavailableError('the builder did not answer'))),
      Outcome.retry('UnavailableError: the builder did not answer'),
    );
    assert.deepEqual(await outcomeOf(ctx, failing(new Error('SQLITE_BUSY: database is locked'))), Outcome.retry('Error: SQLITE_BUSY: database is locked'));
    assert.deepEqual(await outcomeOf(ctx, failing('a string')), Outcome.retry('a string'));
  });
});
