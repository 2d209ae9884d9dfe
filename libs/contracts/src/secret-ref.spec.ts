import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSecretRef, secretRefsOf } from './secret-ref';

describe('SECRET(name) and SHARED_SECRET(name) references, as PaaSTA reads them', () => {
  it('a whole value is a reference; shared ones belong to _shared', () => {
    assert.deepEqual(parseSecretRef('SECRET(db_password)', 'hello'), { service: 'hello', name: 'db_password' });
    assert.deepEqual(parseSecretRef('SHARED_SECRET(api-token)', 'hello'), { service: '_shared', name: 'api-token' });
    for (const v of ['SECRET()', 'x SECRET(a)', 'SECRET(a) ', 'SECRET(a.b)', 'secret(a)', 'SECRET(a']) assert.equal(parseSecretRef(v, 'hello'), undefined, v);
  });

  it('groups the variables that reference the same secret', () => {
    const refs = secretRefsOf({ A: 'SECRET(x)', B: 'SECRET(x)', C: 'plain', D: 'SHARED_SECRET(x)' }, 'svc');
    assert.deepEqual([...refs.keys()], ['svc/x', '_shared/x']);
    assert.deepEqual(refs.get('svc/x')!.vars, ['A', 'B']);
  });
});
