import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstanceSpec } from '@orzo/contracts';
import { overrideBounds } from './autoscale.service';
import { parseDuration } from './duration';
import { InstanceOverride } from './instance-override.entity';
import { applyOverride, countInForce } from './instance-overrides.service';

const row = (o: Partial<InstanceOverride>): InstanceOverride => ({
  instanceKey: 'hello/local/main',
  service: 'hello',
  cluster: 'local',
  instance: 'main',
  instances: null,
  expiresAt: null,
  setBy: 'ann',
  setAt: '2026-11-30T06:00:00.000Z',
  forceBounce: '',
  ...o,
});

describe('autoscale --for: durations', () => {
  it('reads seconds, minutes, hours, days and combinations', () => {
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('30m'), 1800);
    assert.equal(parseDuration('3h'), 10800);
    assert.equal(parseDuration('1d'), 86400);
    assert.equal(parseDuration('1h30m'), 5400);
  });

  it('refuses what is not a positive duration', () => {
    for (const bad of ['', '3', 'h', '3 hours', '-1h', '0m', '1.5h']) assert.equal(parseDuration(bad), undefined, bad);
  });
});

describe('autoscale: the count in force', () => {
  const now = new Date('2026-11-30T07:00:00Z');

  it('is the override while it has not expired, then the configured count again', () => {
    assert.equal(countInForce(3, undefined, now), 3);
    assert.equal(countInForce(3, row({ instances: 6 }), now), 6);
    assert.equal(countInForce(3, row({ instances: 6, expiresAt: '2026-11-30T08:00:00.000Z' }), now), 6);
    assert.equal(countInForce(3, row({ instances: 6, expiresAt: '2026-11-30T06:59:59.000Z' }), now), 3);
    assert.equal(countInForce(3, row({ instances: null, forceBounce: 'r1' }), now), 3);
  });

  it('puts the count and the restart token into the spec sent to the bridge', () => {
    const spec = InstanceSpec.fromPartial({ service: 'hello', cluster: 'local', instance: 'main', replicas: 3 });
    const applied = applyOverride(spec, row({ instances: 5, forceBounce: 'r2' }));
    assert.equal(applied.replicas, 5);
    assert.equal(applied.forceBounce, 'r2');
    assert.equal(applyOverride(spec, undefined), spec);
  });

  it('is bounded by min_instances..max_instances, or min_instances..100 for an instance without max_instances', () => {
    assert.deepEqual(overrideBounds({ min: 2, max: 8, autoscaled: true }), { min: 2, max: 8 });
    assert.deepEqual(overrideBounds({ min: 1, max: 3, autoscaled: false }), { min: 1, max: 100 });
  });
});
