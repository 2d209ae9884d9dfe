import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deterministicUuid, isRelativePath, nulPath, shown } from './delivery';

describe('deterministic ids', () => {
  it('are UUID-shaped, stable for a key and different across keys and namespaces', () => {
    const a = deterministicUuid('event', 'jenkins:services-hello#42:FINALIZED');
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(deterministicUuid('event', 'jenkins:services-hello#42:FINALIZED'), a);
    assert.notEqual(deterministicUuid('event', 'jenkins:services-hello#43:FINALIZED'), a);
    assert.notEqual(deterministicUuid('build', 'jenkins:services-hello#42:FINALIZED'), a);
  });
});

describe('repository paths', () => {
  it('accept relative paths inside the tree and refuse absolute ones and ..', () => {
    for (const p of ['Dockerfile', 'docker/Dockerfile', './app', 'a..b/c']) assert.ok(isRelativePath(p), p);
    for (const p of ['/etc/passwd', '../x', 'a/../../b', 'C:\\x', 'a\\..\\b']) assert.ok(!isRelativePath(p), p);
  });
});

describe('request text in error messages', () => {
  it('is shown whole when short, else as its start and length, never cutting a surrogate pair', () => {
    assert.equal(shown('HEAD'), 'HEAD');
    assert.equal(shown('x'.repeat(1_000)), `${'x'.repeat(60)}... (1000 characters)`);
    assert.equal(shown(`${'x'.repeat(59)}${'👍'.repeat(50)}`), `${'x'.repeat(59)}... (159 characters)`);
  });
});

describe('NUL characters in a body', () => {
  it('are found in any string or key, however deep, with their path', () => {
    assert.equal(nulPath({ name: 'services-hello', build: { number: 1, parameters: { GIT_SHA: 'abc' } } }), null);
    assert.equal(nulPath({ build: { full_url: 'a\u0000b' } }), 'build.full_url');
    assert.equal(nulPath({ build: { scm: { changes: ['x', 'y\u0000'] } } }), 'build.scm.changes[1]');
    assert.equal(nulPath({ 'k\u0000': 1 }), 'k\u0000');
    assert.equal(nulPath('\u0000'), '(the body)');
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    assert.equal(nulPath(deep)?.length, 50_000 * 3);
  });
});
