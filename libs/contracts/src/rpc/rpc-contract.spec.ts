import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rpcs } from './rpcs';
import { rpcErrorOf } from './rpc-contract';

describe('request/reply contracts', () => {
  it('check a request, returning every problem at once', () => {
    assert.deepEqual(Rpcs.cancelBuild.checkRequest({ buildId: 'b1', by: 'alice' }), { ok: true, value: { buildId: 'b1', by: 'alice' } });
    const bad = Rpcs.cancelBuild.checkRequest({ buildId: '', by: 7 });
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && bad.problems.map((p) => p.split(':')[0]), ['buildId', 'by']);
    assert.match(!bad.ok ? bad.problems[0]! : '', /buildId is required/);
  });

  it('name one subject per cluster for a family, in the one queue group', () => {
    const east = Rpcs.imageExists('east');
    assert.equal(east.subject, 'orzo.rpc.scheduler.east.image-exists.v1');
    assert.equal(east.queue, 'scheduler-bridge');
    assert.equal(east.servedBy, 'scheduler-bridge');
    assert.deepEqual(east.checkReply({ exists: 'yes' }), { ok: false, problems: ['exists: Invalid input: expected boolean, received string'] });
  });

  it('tell an error reply from a reply, reading an older kind-less error as internal', () => {
    assert.equal(rpcErrorOf({ cancelled: true, state: 'running' }), undefined);
    assert.deepEqual(rpcErrorOf({ error: 'no such build', kind: 'not-found' }), { error: 'no such build', kind: 'not-found' });
    assert.deepEqual(rpcErrorOf({ error: 'boom' }), { error: 'boom', kind: 'internal' });
    assert.deepEqual(rpcErrorOf({ error: 'x', kind: 'made-up' }), { error: 'x', kind: 'internal' });
  });
});
