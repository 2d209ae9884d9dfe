import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashSecret, newToken, secretMatches, splitToken } from './token-secret';

describe('token secrets', () => {
  it('a new token splits back into its id and secret; anything else does not split', () => {
    const t = newToken();
    assert.deepEqual(splitToken(t.token), { id: t.id, secret: t.secret });
    for (const bad of ['', 'orzo_', `orzo_${t.id}`, `Bearer ${t.token}`, `${t.token}x`, t.token.replace('orzo_', 'ozro_')])
      assert.equal(splitToken(bad), undefined, bad);
  });

  it('stores a salted scrypt hash that matches only its own secret', async () => {
    const t = newToken();
    const stored = await hashSecret(t.secret);
    assert.ok(!stored.includes(t.secret));
    assert.notEqual(stored, await hashSecret(t.secret), 'salted: the same secret hashes differently');
    assert.ok(await secretMatches(t.secret, stored));
    assert.ok(!(await secretMatches(newToken().secret, stored)));
    assert.ok(!(await secretMatches(t.secret, 'plain$x$y')));
  });
});
