import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shown } from './shown';

describe('shown: request values in error messages stay short', () => {
  it('keeps a short value whole', () => {
    assert.equal(shown('nosuch'), 'nosuch');
    assert.equal(shown('x'.repeat(80)), 'x'.repeat(80));
  });

  it('shows the start and the length of a long one, never half a surrogate pair', () => {
    assert.equal(shown('x'.repeat(400_000)), `${'x'.repeat(60)}... (400000 characters)`);
    const emoji = shown(`${'x'.repeat(59)}${'👍'.repeat(100)}`);
    assert.equal(emoji, `${'x'.repeat(59)}... (259 characters)`);
    assert.doesNotThrow(() => encodeURI(emoji), 'no lone surrogate');
  });
});
