import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callerToken, clearedCookie, parseCookies, sessionCookie } from './cookies';

describe('session cookie', () => {
  it('parses a Cookie header: spaces, quotes, percent-encoding, first of a repeated name', () => {
    const cookies = parseCookies(' a=1; orzo_token="orzo_x%2By"; b = two words ;orzo_token=later; junk; =nameless');
    assert.equal(cookies.get('a'), '1');
    assert.equal(cookies.get('orzo_token'), 'orzo_x+y');
    assert.equal(cookies.get('b'), 'two words');
    assert.equal(cookies.size, 3);
  });

  it('keeps a value that is not valid percent-encoding as sent, and is empty for no header', () => {
    assert.equal(parseCookies('orzo_token=100%').get('orzo_token'), '100%');
    assert.equal(parseCookies(undefined).size, 0);
    assert.equal(parseCookies('').size, 0);
  });

  it('sets the token HttpOnly, SameSite=Strict on / (Secure only when asked) and clears it the same way', () => {
    assert.equal(sessionCookie('orzo_a/b', false), 'orzo_token=orzo_a%2Fb; HttpOnly; SameSite=Strict; Path=/');
    assert.equal(sessionCookie('t', true), 'orzo_token=t; HttpOnly; SameSite=Strict; Path=/; Secure');
    assert.equal(clearedCookie(false), 'orzo_token=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/');
    assert.equal(parseCookies(sessionCookie('orzo_a/b;c', false).split('; ')[0]).get('orzo_token'), 'orzo_a/b;c');
  });

  it('takes the token from Authorization: Bearer before the cookie, and none from an empty cookie', () => {
    assert.equal(callerToken({ authorization: 'Bearer abc', cookie: 'orzo_token=def' }), 'abc');
    assert.equal(callerToken({ authorization: 'bearer  abc ' }), 'abc');
    assert.equal(callerToken({ cookie: 'x=1; orzo_token=def' }), 'def');
    assert.equal(callerToken({ authorization: 'Basic abc', cookie: 'orzo_token=' }), undefined);
    assert.equal(callerToken({}), undefined);
  });
});
