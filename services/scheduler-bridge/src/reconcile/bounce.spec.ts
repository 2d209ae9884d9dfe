import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BOUNCE_METHODS, BounceMethod, BounceReplica, BounceState, bounceMethod, happyFloor, planBounce } from './bounce';

/** Replicas named o1.. / n1.., happy where the pattern says 'h' (e.g. 'hh-' = two happy, one not). */
const replicas = (prefix: string, pattern: string): Array<BounceReplica<string>> =>
  [...pattern].map((c, i) => ({ replica: `${prefix}${i + 1}`, happy: c === 'h' }));
const state = (method: BounceMethod, n: number, old: string, fresh: string, marginFactor = 1): BounceState<string> => ({
  n,
  marginFactor,
  method,
  old: replicas('o', old),
  new: replicas('n', fresh),
});

describe('planBounce: crossover', () => {
  it('starts the missing new replicas and keeps every old one while none is happy', () => {
    assert.deepEqual(planBounce(state('crossover', 3, 'hhh', '')), { start: 3, drain: [], surplus: [] });
    assert.deepEqual(planBounce(state('crossover', 3, 'hhh', '---')), { start: 0, drain: [], surplus: [] });
  });

  it('drains one old replica per happy new one', () => {
    assert.deepEqual(planBounce(state('crossover', 3, 'hhh', 'h--')).drain, ['o3']);
    assert.deepEqual(planBounce(state('crossover', 3, 'hhh', 'hh-')).drain, ['o2', 'o3']);
    assert.deepEqual(planBounce(state('crossover', 3, 'hhh', 'hhh')).drain, ['o1', 'o2', 'o3']);
  });

  it('with margin 0.5 drains the old replicas beyond half of n before any new one is happy', () => {
    assert.deepEqual(planBounce(state('crossover', 4, 'hhhh', '----', 0.5)).drain, ['o3', 'o4']);
  });

  it('drains unhappy old replicas before happy ones', () => {
    assert.deepEqual(planBounce(state('crossover', 3, '-hh', 'h--')).drain, ['o1']);
  });
});

describe('planBounce: the other methods', () => {
  it('brutal starts n new replicas and drains every old one at once', () => {
    assert.deepEqual(planBounce(state('brutal', 2, 'hh', '')), { start: 2, drain: ['o1', 'o2'], surplus: [] });
  });

  it('upthendown keeps every old replica until all n new ones are happy', () => {
    assert.deepEqual(planBounce(state('upthendown', 3, 'hhh', 'hh-')), { start: 0, drain: [], surplus: [] });
    assert.deepEqual(planBounce(state('upthendown', 3, 'hhh', 'hhh')).drain, ['o1', 'o2', 'o3']);
  });

  it('downthenup drains every old replica first and starts the new ones only then', () => {
    assert.deepEqual(planBounce(state('downthenup', 2, 'hh', '')), { start: 0, drain: ['o1', 'o2'], surplus: [] });
    assert.deepEqual(planBounce(state('downthenup', 2, '', '')), { start: 2, drain: [], surplus: [] });
  });

  it('a scale-down drains the new replicas beyond n, unhappy ones first', () => {
    assert.deepEqual(planBounce(state('crossover', 2, '', 'h-h-')), { start: 0, drain: [], surplus: ['n2', 'n4'] });
  });

  it('an unknown or empty method bounces as crossover, the default', () => {
    assert.equal(bounceMethod(''), 'crossover');
    assert.equal(bounceMethod(undefined), 'crossover');
    assert.equal(bounceMethod('sideways'), 'crossover');
    assert.equal(bounceMethod('brutal'), 'brutal');
  });

  it('the happy floor is ceil(n × margin) without binary floating-point surprises', () => {
    assert.equal(happyFloor(100, 0.07), 7);
    assert.equal(happyFloor(3, 0.95), 3);
    assert.equal(happyFloor(20, 0.95), 19);
    assert.equal(happyFloor(0, 1), 0);
  });
});

describe('planBounce: properties over any state', () => {
  const anyState = (methods: readonly BounceMethod[] = BOUNCE_METHODS) =>
    fc
      .record({
        n: fc.integer({ min: 0, max: 12 }),
        marginFactor: fc.double({ min: 0.01, max: 1, noNaN: true }),
        method: fc.constantFrom(...methods),
        old: fc.array(fc.boolean(), { maxLength: 12 }),
        fresh: fc.array(fc.boolean(), { maxLength: 16 }),
      })
      .map(({ n, marginFactor, method, old, fresh }): BounceState<string> => ({
        n,
        marginFactor,
        method,
        old: old.map((happy, i) => ({ replica: `o${i}`, happy })),
        new: fresh.map((happy, i) => ({ replica: `n${i}`, happy })),
      }));
  const happyCount = (s: BounceState<string>, gone: Set<string>) => [...s.old, ...s.new].filter((r) => r.happy && !gone.has(r.replica)).length;

  it('crossover never drains below ceil(n × margin) happy replicas in total', () => {
    fc.assert(
      fc.property(anyState(['crossover']), (s) => {
        const plan = planBounce(s);
        const before = happyCount(s, new Set());
        const after = happyCount(s, new Set([...plan.drain, ...plan.surplus]));
        assert.ok(after >= Math.min(happyFloor(s.n, s.marginFactor), before), `${after} happy left of ${before}`);
      }),
    );
  });

  it('brutal drains all old replicas at once', () => {
    fc.assert(
      fc.property(anyState(['brutal']), (s) => {
        assert.deepEqual(new Set(planBounce(s).drain), new Set(s.old.map((r) => r.replica)));
      }),
    );
  });

  it('upthendown drains only when n new replicas are happy, and then all old ones', () => {
    fc.assert(
      fc.property(anyState(['upthendown']), (s) => {
        const happyNew = Math.min(s.new.filter((r) => r.happy).length, s.n);
        assert.equal(planBounce(s).drain.length, happyNew >= s.n ? s.old.length : 0);
      }),
    );
  });

  it('downthenup starts nothing while old replicas remain', () => {
    fc.assert(
      fc.property(anyState(['downthenup']), (s) => {
        const plan = planBounce(s);
        if (s.old.length) assert.equal(plan.start, 0);
        assert.equal(plan.drain.length, s.old.length);
      }),
    );
  });

  it('no method starts more new replicas than n needs, nor drains what it was not given', () => {
    fc.assert(
      fc.property(anyState(), (s) => {
        const plan = planBounce(s);
        assert.ok(plan.start <= Math.max(s.n - s.new.length, 0), `start ${plan.start} with ${s.new.length}/${s.n}`);
        assert.equal(plan.surplus.length, Math.max(s.new.length - s.n, 0));
        const old = new Set(s.old.map((r) => r.replica));
        assert.ok(plan.drain.every((r) => old.has(r)) && new Set(plan.drain).size === plan.drain.length);
      }),
    );
  });

  it('bounce_overprovision_factor caps the replicas a crossover runs beyond n (maxSurge), and the bounce still advances', () => {
    const r = (id: string, happy: boolean) => ({ replica: id, happy });
    const old = ['o1', 'o2', 'o3', 'o4'].map((id) => r(id, true));
    const first = planBounce({ n: 4, marginFactor: 1, method: 'crossover', overprovisionFactor: 0.25, old, new: [] });
    assert.deepEqual([first.start, first.drain], [1, []], 'ceil(4 × 0.25) = 1 extra replica');
    const second = planBounce({ n: 4, marginFactor: 1, method: 'crossover', overprovisionFactor: 0.25, old, new: [r('n1', true)] });
    assert.deepEqual([second.start, second.drain], [0, ['o4']], 'the happy new one lets one old go');
    const third = planBounce({ n: 4, marginFactor: 1, method: 'crossover', overprovisionFactor: 0.25, old: old.slice(0, 3), new: [r('n1', true)] });
    assert.equal(third.start, 1);
    const stillDraining = planBounce({
      n: 4,
      marginFactor: 1,
      method: 'crossover',
      overprovisionFactor: 0.25,
      old: old.slice(0, 3),
      new: [r('n1', true)],
      draining: 1,
    });
    assert.equal(stillDraining.start, 0, 'an old replica drained beside the passes runs until stopped: no start beyond the surge meanwhile');
    const all = planBounce({ n: 4, marginFactor: 1, method: 'crossover', overprovisionFactor: 1, old, new: [] });
    assert.equal(all.start, 4, 'the default (1): every new replica at once');
  });
});
