import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './command-kit';
import { selectServices } from './platform-runner';

describe('selectServices (orzo up --only)', () => {
  it('runs every service without --only', () => {
    assert.equal(selectServices(undefined).length, 6);
  });

  it('keeps the platform order and ignores blanks', () => {
    assert.deepEqual(
      selectServices(' monitor-bridge, ,discovery-publisher ').map((s) => s.name),
      ['discovery-publisher', 'monitor-bridge'],
    );
  });

  it('refuses an empty list and unknown names', () => {
    assert.throws(
      () => selectServices(','),
      (e: unknown) => e instanceof UsageError && /known: control-api/.test(e.message),
    );
    assert.throws(
      () => selectServices('haproxy'),
      (e: unknown) => e instanceof UsageError && /unknown: haproxy/.test(e.message),
    );
  });
});
