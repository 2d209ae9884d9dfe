import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replicaStates, requestedBy } from './api-commands';

describe('orzo status: replica states in one line', () => {
  it('counts the replicas in each state, in the order first seen', () => {
    assert.equal(
      replicaStates([{ state: 'Healthy' }, { state: 'Not Ready' }, { state: 'Healthy' }, { state: 'Terminating' }]),
      ': 2 Healthy, 1 Not Ready, 1 Terminating',
    );
    assert.equal(replicaStates([]), '');
  });
});

describe('who asks: what the CLI says (control-api records the token)', () => {
  it('is ORZO_USER when set, else the OS user', () => {
    const saved = process.env.ORZO_USER;
    try {
      process.env.ORZO_USER = 'release-bot';
      assert.equal(requestedBy(), 'release-bot');
      delete process.env.ORZO_USER;
      assert.ok(requestedBy().length > 0);
      assert.notEqual(requestedBy(), 'release-bot');
    } finally {
      if (saved === undefined) delete process.env.ORZO_USER;
      else process.env.ORZO_USER = saved;
    }
  });
});
