import { Cron } from 'croner';
import { parseDuration } from './parse';

/**
 * A job's schedule, parsed: the one place that knows when a Tron or Chronos job is due.
 * Validation, the scheduler and `orzo jobs` all use it, so what `validate` accepts is exactly
 * what runs.
 *
 * Forms:
 * - `cron <minute hour day month weekday>` (Tron), in `timeZone` (default UTC);
 * - `daily HH:MM[:SS] [MTWRFSU]` (Tron), in `timeZone`; the letters limit the weekdays;
 * - `interval <duration>` (Tron): every duration, anchored at the Unix epoch, so that every
 *   scheduler computes the same times without talking to each other;
 * - `R[n]/<start>/<ISO 8601 period>` (Chronos), e.g. `R/2026-01-01T04:00:00Z/PT24H`; an empty
 *   start is the epoch; `R5/...` stops after 5 repetitions.
 */
export interface Schedule {
  readonly text: string;
  /** The first due time strictly after `after`, or null when there is none (a finished R<n>). */
  next(after: Date): Date | null;
}

export type ScheduleResult = { schedule: Schedule; problem?: undefined } | { schedule?: undefined; problem: string };

const DAY_LETTERS: Record<string, number> = { U: 0, M: 1, T: 2, W: 3, R: 4, F: 5, S: 6 };

/** Whether `zone` is an IANA time zone this Node.js knows. */
export function timeZoneProblem(zone: string): string | null {
  if (zone === '') return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return null;
  } catch {
    return `time_zone "${zone}" is not an IANA time zone (e.g. America/New_York, Europe/Paris, UTC)`;
  }
}

function cronSchedule(text: string, pattern: string, timeZone: string): ScheduleResult {
  const tzProblem = timeZoneProblem(timeZone);
  if (tzProblem) return { problem: tzProblem };
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    return { problem: `a cron expression has 5 fields (minute hour day month weekday), this one has ${fields.length}` };
  let cron: Cron;
  try {
    cron = new Cron(fields.join(' '), { timezone: timeZone || 'UTC', paused: true, legacyMode: true });
  } catch (err) {
    return { problem: `cron "${pattern.trim()}": ${(err as Error).message.replace(/^CronPattern:\s*/, '')}` };
  }
  return { schedule: { text, next: (after) => cron.nextRun(after) } };
}

function intervalSchedule(text: string, value: string): ScheduleResult {
  const seconds = parseDuration(value.replace(/\s+/g, ''));
  if (seconds === null || seconds < 1) return { problem: `interval needs a duration of at least 1s like 30s, 5m or 1h, found "${value}"` };
  const ms = Math.round(seconds * 1000);
  return { schedule: { text, next: (after) => new Date((Math.floor(after.getTime() / ms) + 1) * ms) } };
}

function dailySchedule(text: string, value: string, timeZone: string): ScheduleResult {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?:\s+([MTWRFSU]+))?$/.exec(value.trim());
  if (!m) return { problem: `daily needs HH:MM[:SS] and optional weekday letters MTWRFSU, found "${value}"` };
  const days = m[4] ? [...new Set([...m[4]].map((d) => DAY_LETTERS[d]!))].sort().join(',') : '*';
  return cronSchedule(text, `${Number(m[3] ?? 0)} ${Number(m[2])} ${Number(m[1])} * * ${days}`, timeZone);
}

const ISO_PERIOD = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

function repeatingSchedule(text: string): ScheduleResult {
  const parts = text.split('/');
  if (parts.length !== 3 || !/^R\d*$/.test(parts[0]!)) return { problem: 'expected R[n]/<start>/<period>, e.g. R/2026-01-01T04:00:00Z/PT24H' };
  const limit = parts[0] === 'R' ? Infinity : Number(parts[0]!.slice(1));
  const start = parts[1] === '' ? 0 : Date.parse(parts[1]!);
  if (Number.isNaN(start)) return { problem: `start "${parts[1]}" is not an ISO 8601 time` };
  const p = ISO_PERIOD.exec(parts[2]!);
  if (!p) return { problem: `period "${parts[2]}" is not an ISO 8601 duration like PT60M or P1D` };
  const [years, months, weeks, days, hours, minutes, secs] = p.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number, number];
  const fixedMs = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60_000 + secs * 1000;
  const calendarMonths = years * 12 + months;
  if (calendarMonths === 0 && fixedMs < 1000) return { problem: `period "${parts[2]}" is shorter than 1 second` };
  const nth = (k: number): number => {
    const d = new Date(start);
    if (calendarMonths) d.setUTCMonth(d.getUTCMonth() + k * calendarMonths);
    return d.getTime() + k * fixedMs;
  };
  const next = (after: Date): Date | null => {
    const t = after.getTime();
    let k = 0;
    if (t >= start) {
      // Estimate, then step: exact for fixed periods, a few steps for calendar months.
      const approxMs = calendarMonths * 30.44 * 86_400_000 + fixedMs;
      k = Math.max(0, Math.floor((t - start) / approxMs) - 1);
      while (nth(k) <= t) k++;
      while (k > 0 && nth(k - 1) > t) k--;
    }
    return k < limit ? new Date(nth(k)) : null;
  };
  return { schedule: { text, next } };
}

/** Parses a compiled job schedule (`compileJobs` turns a {type, value} mapping into "type value"). */
export function parseSchedule(schedule: string, timeZone = ''): ScheduleResult {
  const text = schedule.trim();
  if (text.startsWith('R')) return repeatingSchedule(text);
  const m = /^(\S+)\s+(.+)$/.exec(text);
  if (!m) return { problem: 'expected "cron <5 fields>", "daily HH:MM[:SS]", "interval <duration>" or R[n]/<start>/<period>' };
  const [, type, value] = m as unknown as [string, string, string];
  switch (type) {
    case 'cron':
      return cronSchedule(text, value, timeZone);
    case 'daily':
      return dailySchedule(text, value, timeZone);
    case 'interval':
      return intervalSchedule(text, value);
    default:
      return { problem: `unknown schedule type "${type}": expected cron, daily or interval` };
  }
}

/** Tron schedules as written: a string, or a {type, value} mapping; with the job's time_zone. */
export function tronScheduleProblem(schedule: unknown, timeZone: unknown = ''): string | null {
  if (typeof timeZone !== 'string') return 'time_zone must be a string';
  if (typeof schedule === 'string') {
    if (/^R\d*\//.test(schedule.trim())) return 'R[n]/<start>/<period> is a Chronos schedule; Tron takes "cron ...", "daily HH:MM" or "interval <duration>"';
    return parseSchedule(schedule, timeZone).problem ?? null;
  }
  if (schedule && typeof schedule === 'object' && !Array.isArray(schedule)) {
    const s = schedule as Record<string, unknown>;
    if (typeof s.type !== 'string' || typeof s.value !== 'string') return 'a schedule mapping needs type and value strings';
    return parseSchedule(`${s.type} ${s.value}`, timeZone).problem ?? null;
  }
  return 'expected a schedule string or a {type, value} mapping';
}

/** Chronos schedules: ISO 8601 repeating intervals (R[n]/<start>/<period>) or a bare cron expression. */
export function chronosScheduleProblem(schedule: string, timeZone = ''): string | null {
  return parseSchedule(schedule.trim().startsWith('R') ? schedule : `cron ${schedule}`, timeZone).problem ?? null;
}
