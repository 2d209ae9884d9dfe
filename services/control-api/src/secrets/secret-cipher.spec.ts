import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FailedPreconditionError } from '@orzo/platform';
import { open, parseSecretKey, seal } from './secret-cipher';

describe('secret cipher (AES-256-GCM)', () => {
  const key = parseSecretKey(randomBytes(32).toString('base64'), 'ORZO_SECRET_KEY');

  it('seals without the plaintext in the text and opens to it', () => {
    const sealed = seal(key, 'hello/db_password', Buffer.from('hunter2-value'));
    assert.doesNotMatch(sealed, /hunter2/);
    assert.notEqual(sealed, seal(key, 'hello/db_password', Buffer.from('hunter2-value')), 'a fresh nonce every time');
    assert.equal(open(key, 'hello/db_password', sealed).toString(), 'hunter2-value');
  });

  it('refuses a value moved to another row, altered, or sealed with another key, naming the key ids', () => {
    const sealed = seal(key, 'hello/a', Buffer.from('x'));
    assert.throws(() => open(key, 'hello/b', sealed), FailedPreconditionError);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('y').toString('base64');
    assert.throws(() => open(key, 'hello/a', parts.join('.')), /altered/);
    const other = parseSecretKey(randomBytes(32).toString('hex'), 'file');
    assert.throws(() => open(other, 'hello/a', sealed), new RegExp(`encrypted with key ${key.id}, control-api has key ${other.id}`));
  });

  it('accepts hex or base64 of exactly 32 bytes', () => {
    assert.equal(parseSecretKey('ab'.repeat(32), 'k').key.length, 32);
    assert.throws(
      () => parseSecretKey(randomBytes(16).toString('base64'), 'ORZO_SECRET_KEY'),
      /ORZO_SECRET_KEY is not a 256-bit key \(16 bytes\).*openssl rand/,
    );
    assert.throws(() => parseSecretKey('not a key!', 'k'), /neither base64 nor hex/);
  });
});
