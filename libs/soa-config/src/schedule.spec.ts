import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseDuration } from './parse';
import { chronosScheduleProblem, parseSchedule, tronScheduleProblem } from './schedule';

const nextOf = (text: string, after: string, tz = ''): string | null => {
  const r = parseSchedule(text, tz);
  assert.equal(r.problem, undefined, r.problem);
  return r.schedule!.next(new Date(after))?.toISOString() ?? null;
};

describe('job schedules', () => {
  it('computes cron in the job time zone, across a DST change', () => {
    assert.equal(nextOf('cron 0 4 * * *', '2026-11-30T00:00:00Z', 'America/New_York'), '2026-11-30T09:00:00.000Z');
    // New York leaves DST on 2026-11-01: 04:00 local is 08:00Z before, 09:00Z after.
    assert.equal(nextOf('cron 0 4 * * *', '2026-10-31T12:00:00Z', 'America/New_York'), '2026-11-01T09:00:00.000Z');
    // 02:30 on Mondays in Kolkata (UTC+5:30) is Sunday 21:00Z; after Monday 00:00Z the next is a week on.
    assert.equal(nextOf('cron 30 2 * * 1', '2026-11-30T00:00:00Z', 'Asia/Kolkata'), '2026-12-06T21:00:00.000Z');
    assert.equal(nextOf('cron */15 * * * *', '2026-11-30T10:07:00Z'), '2026-11-30T10:15:00.000Z');
  });

  it('computes daily with seconds and weekday letters', () => {
    assert.equal(nextOf('daily 04:00:30', '2026-11-30T04:00:30Z'), '2026-12-01T04:00:30.000Z');
    // 2026-11-30 is a Monday; "daily 01:00 SU" runs on Saturdays and Sundays.
    assert.equal(nextOf('daily 01:00 SU', '2026-11-30T00:00:00Z'), '2026-12-05T01:00:00.000Z');
    assert.equal(nextOf('daily 23:30', '2026-11-30T00:00:00Z', 'Europe/Paris'), '2026-11-30T22:30:00.000Z');
  });

  it('anchors intervals at the epoch so every scheduler agrees', () => {
    assert.equal(nextOf('interval 2s', '2026-11-30T10:00:01.500Z'), '2026-11-30T10:00:02.000Z');
    assert.equal(nextOf('interval 2s', '2026-11-30T10:00:02.000Z'), '2026-11-30T10:00:04.000Z');
    assert.equal(nextOf('interval 1h30m', '1970-01-01T01:00:00Z'), '1970-01-01T01:30:00.000Z');
  });

  it('follows Chronos repeating intervals, calendar months and a repetition limit', () => {
    assert.equal(nextOf('R/2026-01-01T04:00:00Z/PT24H', '2026-11-30T05:00:00Z'), '2026-12-01T04:00:00.000Z');
    assert.equal(nextOf('R/2026-01-01T04:00:00Z/PT24H', '2025-06-01T00:00:00Z'), '2026-01-01T04:00:00.000Z');
    assert.equal(nextOf('R/2026-01-31T00:00:00Z/P1M', '2026-02-01T00:00:00Z'), '2026-03-03T00:00:00.000Z');
    assert.equal(nextOf('R3/2026-01-01T00:00:00Z/P1D', '2026-01-02T12:00:00Z'), '2026-01-03T00:00:00.000Z');
    assert.equal(nextOf('R3/2026-01-01T00:00:00Z/P1D', '2026-01-03T00:00:00Z'), null);
  });

  it('explains what is wrong', () => {
    assert.match(parseSchedule('cron 0 99 * * *').problem!, /hour/);
    assert.match(parseSchedule('cron 0 4 * *').problem!, /5 fields/);
    assert.match(parseSchedule('daily 25:00').problem!, /HH:MM/);
    assert.match(parseSchedule('interval soon').problem!, /duration/);
    assert.match(parseSchedule('weekly 3').problem!, /unknown schedule type/);
    assert.match(parseSchedule('cron 0 4 * * *', 'Mars/Olympus').problem!, /IANA/);
    assert.match(parseSchedule('R/2026-13-45T00:00:00Z/P1D').problem!, /ISO 8601 time/);
    assert.match(parseSchedule('R/2026-01-01T00:00:00Z/1D').problem!, /ISO 8601 duration/);
    assert.match(tronScheduleProblem('R/2026-01-01T00:00:00Z/P1D')!, /Chronos/);
    assert.equal(tronScheduleProblem({ type: 'cron', value: '0 4 * * *' }, 'Europe/Paris'), null);
    assert.match(tronScheduleProblem(42)!, /schedule string/);
    assert.equal(chronosScheduleProblem('0 4 * * *'), null);
    assert.equal(chronosScheduleProblem('R5/2026-01-01T00:00:00Z/PT10M'), null);
  });
});

describe('durations', () => {
  it("reads PaaSTA's short forms and Tron's spelled-out units", () => {
    const cases: Array<[string, number | null]> = [
      ['30s', 30],
      ['1h30m', 5400],
      ['1M', 2_592_000],
      ['90', 90],
      ['10 minutes', 600],
      ['1 hour', 3600],
      ['30 secs', 30],
      ['2 days, 3 hours', 183_600],
      ['10 parsecs', null],
      ['soon', null],
    ];
    for (const [text, seconds] of cases) assert.equal(parseDuration(text, true), seconds, text);
    assert.equal(parseDuration('10 minutes'), null, 'words only where Tron takes them');
  });
});
