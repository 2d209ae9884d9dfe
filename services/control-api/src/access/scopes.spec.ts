import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allows, formatScope, parseScope } from './scopes';

describe('token scopes', () => {
  it('parses every verb, service-limited where that makes sense', () => {
    assert.deepEqual(parseScope('read'), { verb: 'read' });
    assert.deepEqual(parseScope('deploy:payments'), { verb: 'deploy', service: 'payments' });
    assert.equal(formatScope(parseScope('operate:hello')), 'operate:hello');
    assert.deepEqual(parseScope(' admin '), { verb: 'admin' });
  });

  it('refuses unknown verbs, services on read/admin, bad names and extra parts', () => {
    for (const bad of ['write', 'read:hello', 'admin:x', 'deploy:Bad Name', 'deploy:a:b', '', 'deploy:']) assert.throws(() => parseScope(bad), /scope/, bad);
  });

  it('admin covers everything, a global scope every service, a service scope only its service', () => {
    const s = (...xs: string[]) => xs.map(parseScope);
    assert.ok(allows(s('admin'), { verb: 'deploy', service: 'x' }));
    assert.ok(allows(s('deploy'), { verb: 'deploy', service: 'x' }));
    assert.ok(allows(s('deploy:x'), { verb: 'deploy', service: 'x' }));
    assert.ok(!allows(s('deploy:x'), { verb: 'deploy', service: 'y' }));
    assert.ok(!allows(s('deploy:x'), { verb: 'deploy' }), 'a request naming no service needs the global scope');
    assert.ok(!allows(s('deploy'), { verb: 'operate', service: 'x' }));
    assert.ok(!allows(s('read'), { verb: 'admin' }));
    assert.ok(allows(s('build:x', 'read'), { verb: 'read' }));
  });
});
