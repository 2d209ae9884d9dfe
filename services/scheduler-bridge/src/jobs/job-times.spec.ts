import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedule } from '@orzo/soa-config';
import { kvKey, missedDue, scheduledRunId } from './job-times';

const sched = (text: string, tz = '') => {
  const r = parseSchedule(text, tz);
  assert.ok(r.schedule, r.problem);
  return r.schedule;
};
const job = { service: 'batch', job: 'nightly', cluster: 'norcal' };

describe('run ids and due times', () => {
  it('a scheduled run id is <service>.<job>.<cluster>.<unix seconds>, the same for every scheduler', () => {
    const due = sched('interval 10s').next(new Date('2026-11-30T09:00:03.250Z'))!;
    assert.equal(due.toISOString(), '2026-11-30T09:00:10.000Z');
    assert.equal(scheduledRunId(job, due), `batch.nightly.norcal.${Date.parse('2026-11-30T09:00:10Z') / 1000}`);
    assert.equal(scheduledRunId(job, new Date(due.getTime() + 999)), scheduledRunId(job, due));
  });

  it('run ids become valid KV keys', () => {
    assert.equal(kvKey('batch.nightly.norcal.1790000000'), 'batch.nightly.norcal.1790000000');
    assert.equal(kvKey('manual run:42 é'), 'manual_run_42__');
    assert.equal(kvKey('.a..b.'), '_a.b_');
  });

  it('nothing missed: the next due time is after now', () => {
    const s = sched('interval 1m');
    assert.equal(missedDue(s, new Date('2026-11-30T09:00:00Z'), new Date('2026-11-30T09:00:59Z')), null);
  });

  it('many runs missed while down: one catch-up, as of the latest missed due time', () => {
    const s = sched('interval 2s');
    const missed = missedDue(s, new Date('2026-11-30T09:00:00Z'), new Date('2026-11-30T09:00:09.5Z'));
    assert.equal(missed?.toISOString(), '2026-11-30T09:00:08.000Z');
  });

  it('a week of a per-minute cron missed, found in a few steps', () => {
    const s = sched('cron * * * * *');
    const t0 = Date.now();
    const missed = missedDue(s, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-08T12:34:56Z'));
    assert.equal(missed?.toISOString(), '2026-11-08T12:34:00.000Z');
    assert.ok(Date.now() - t0 < 500);
  });

  it('daily in a time zone: the missed one is the last 04:00 in New York', () => {
    const s = sched('daily 04:00', 'America/New_York');
    const missed = missedDue(s, new Date('2026-11-27T10:00:00Z'), new Date('2026-11-30T08:00:00Z'));
    assert.equal(missed?.toISOString(), '2026-11-29T09:00:00.000Z');
  });

  it('a due time exactly at now counts as missed; one at last does not', () => {
    const s = sched('interval 5s');
    assert.equal(missedDue(s, new Date('2026-11-30T09:00:05Z'), new Date('2026-11-30T09:00:10Z'))?.toISOString(), '2026-11-30T09:00:10.000Z');
    assert.equal(missedDue(s, new Date('2026-11-30T09:00:05Z'), new Date('2026-11-30T09:00:09Z')), null);
  });

  it('a finished R<n> schedule misses nothing after its end', () => {
    const s = sched('R2/2026-11-30T00:00:00Z/PT1H');
    assert.equal(missedDue(s, new Date('2026-11-30T01:00:00Z'), new Date('2026-11-30T05:00:00Z')), null);
    assert.equal(missedDue(s, new Date('2026-11-29T00:00:00Z'), new Date('2026-11-30T05:00:00Z'))?.toISOString(), '2026-11-30T01:00:00.000Z');
  });
});
