import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlotAssignment, planSlots } from './slot-plan';

const at = (slot: number, host: string, port = 8080): SlotAssignment => ({ slot, host, port });

describe('planSlots', () => {
  it('gives new replicas the lowest free slots, by their address on whichever host', () => {
    const plan = planSlots(
      'web.main',
      new Map(),
      [
        { replicaId: 'b', host: '10.0.0.2', port: 8080 },
        { replicaId: 'a', host: '10.0.0.1', port: 8080 },
      ],
      4,
      false,
    );
    assert.deepEqual(plan.commands, [
      'set server web.main/slot1 addr 10.0.0.1 port 8080',
      'set server web.main/slot1 state ready',
      'set server web.main/slot2 addr 10.0.0.2 port 8080',
      'set server web.main/slot2 state ready',
    ]);
    assert.deepEqual(
      [...plan.next],
      [
        ['a', at(1, '10.0.0.1')],
        ['b', at(2, '10.0.0.2')],
      ],
    );
  });

  it('puts a replica that left in maintenance first, gives a new one a slot never used rather than the one just freed, and leaves unchanged ones alone', () => {
    const current = new Map([
      ['a', at(1, '10.0.0.1')],
      ['b', at(2, '10.0.0.2')],
    ]);
    const plan = planSlots(
      'web.main',
      current,
      [
        { replicaId: 'b', host: '10.0.0.2', port: 8080 },
        { replicaId: 'c', host: '10.0.0.3', port: 31000 },
      ],
      4,
      false,
    );
    // Slot 1 keeps a's address while a's sessions drain (the drain counts sessions by address).
    assert.deepEqual(plan.commands, [
      'set server web.main/slot1 state maint',
      'set server web.main/slot3 addr 10.0.0.3 port 31000',
      'set server web.main/slot3 state ready',
    ]);
    assert.deepEqual([...plan.next.keys()].sort(), ['b', 'c']);
    assert.deepEqual(plan.freed, [1]);
  });

  it('once no slot is left that was never used, reuses the one freed longest ago', () => {
    // Replica n at 10.0.0.n in slot n; slot 4 was freed before slot 5. Now 3 leaves and 4 and 5 come.
    const current = new Map([1, 2, 3].map((n) => [`r${n}`, at(n, `10.0.0.${n}`)]));
    const desired = [1, 2, 4, 5].map((n) => ({ replicaId: `r${n}`, host: `10.0.0.${n}`, port: 8080 }));
    const plan = planSlots('web.main', current, desired, 5, false, [4, 5]);
    assert.deepEqual(plan.commands, [
      'set server web.main/slot3 state maint',
      'set server web.main/slot4 addr 10.0.0.4 port 8080',
      'set server web.main/slot4 state ready',
      'set server web.main/slot5 addr 10.0.0.5 port 8080',
      'set server web.main/slot5 state ready',
    ]);
    assert.deepEqual(plan.freed, [3], 'the slot just freed is the last to be reused');
  });

  it('moves a replica whose address changed within its slot', () => {
    const plan = planSlots('web.main', new Map([['a', at(3, '10.0.0.1')]]), [{ replicaId: 'a', host: '10.0.0.9', port: 8080 }], 4, false);
    assert.deepEqual(plan.commands, ['set server web.main/slot3 addr 10.0.0.9 port 8080', 'set server web.main/slot3 state ready']);
  });

  it('in a full resync sets every desired slot again and puts every other one in maintenance', () => {
    const plan = planSlots('web.main', new Map([['gone', at(2, '10.0.0.5')]]), [{ replicaId: 'a', host: '10.0.0.1', port: 8080 }], 3, true);
    assert.deepEqual(plan.commands.slice().sort(), [
      'set server web.main/slot1 addr 10.0.0.1 port 8080',
      'set server web.main/slot1 state ready',
      'set server web.main/slot2 state maint',
      'set server web.main/slot3 state maint',
    ]);
    assert.deepEqual([...plan.next], [['a', at(1, '10.0.0.1')]]);
  });

  it('reports the replicas left out when every slot is taken', () => {
    const plan = planSlots(
      'web.main',
      new Map([['a', at(1, '10.0.0.1')]]),
      [
        { replicaId: 'a', host: '10.0.0.1', port: 8080 },
        { replicaId: 'b', host: '10.0.0.2', port: 8080 },
      ],
      1,
      false,
    );
    assert.deepEqual(plan.overflow, ['b']);
    assert.deepEqual(plan.commands, []);
  });
});
