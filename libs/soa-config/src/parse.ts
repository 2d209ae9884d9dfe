const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, D: 86400, w: 604800, W: 604800, M: 2_592_000, Y: 31_536_000 };

/**
 * PaaSTA's human durations: "30s", "10m", "1h30m", "1D", "2W", "1M" (30 days), "1Y", or a
 * number of seconds. Returns seconds, or null when the text is not a duration.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|D|w|W|M|Y)\s*/.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?$/;
const CRON_RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];
const NAMES = /^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$/i;

/** Checks a 5-field cron expression; returns the reason it is wrong, or null. */
export function cronProblem(expr: string): string | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `a cron expression has 5 fields (minute hour day month weekday), this one has ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    for (const part of fields[i]!.split(',')) {
      if (!CRON_FIELD.test(part)) return `cron field ${i + 1} "${fields[i]}" is not valid`;
      const [lo, hi] = CRON_RANGES[i]!;
      for (const n of part.replace(/\/\d+$/, '').split('-')) {
        if (n === '*' || n === '?' || NAMES.test(n)) continue;
        const v = Number(n);
        if (!Number.isInteger(v) || v < lo || v > hi) return `cron field ${i + 1} value ${n} is outside ${lo}-${hi}`;
      }
    }
  }
  return null;
}

/** Tron schedules: "cron ...", "daily HH:MM[:SS]", "interval <duration>", or {type, value}. */
export function tronScheduleProblem(schedule: unknown): string | null {
  let type: string;
  let value: string;
  if (typeof schedule === 'string') {
    const m = /^\s*(\S+)\s+(.+)$/.exec(schedule);
    if (!m) return 'expected "cron <5 fields>", "daily HH:MM[:SS]" or "interval <duration>"';
    type = m[1]!;
    value = m[2]!;
  } else if (schedule && typeof schedule === 'object' && !Array.isArray(schedule)) {
    const s = schedule as Record<string, unknown>;
    if (typeof s.type !== 'string' || typeof s.value !== 'string') return 'a schedule mapping needs type and value strings';
    type = s.type;
    value = s.value;
  } else {
    return 'expected a schedule string or a {type, value} mapping';
  }
  switch (type) {
    case 'cron':
      return cronProblem(value);
    case 'daily':
      return /^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?(\s+[MTWRFSU]+)?$/.test(value.trim()) ? null : `daily needs HH:MM[:SS], found "${value}"`;
    case 'interval':
      return parseDuration(value.replace(/\s+/g, '')) !== null ? null : `interval needs a duration like 5m or 1h, found "${value}"`;
    default:
      return `unknown schedule type "${type}": expected cron, daily or interval`;
  }
}

/** Chronos schedules: ISO 8601 repeating intervals (R[n]/<start>/<period>) or cron. */
export function chronosScheduleProblem(schedule: string): string | null {
  if (schedule.startsWith('R')) {
    const parts = schedule.split('/');
    if (parts.length !== 3 || !/^R\d*$/.test(parts[0]!)) return 'expected R[n]/<start>/<period>, e.g. R/2014-10-10T18:32:00Z/PT60M';
    if (parts[1] !== '' && Number.isNaN(Date.parse(parts[1]!))) return `start "${parts[1]}" is not an ISO 8601 time`;
    if (!/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(parts[2]!))
      return `period "${parts[2]}" is not an ISO 8601 duration like PT60M or P1D`;
    return null;
  }
  return cronProblem(schedule);
}
