import type { EventMap, Subjects } from '@orzo/contracts';
import type { Schedule } from '@orzo/soa-config';

/** One job as control-api wants it scheduled on one cluster. */
export type JobSpec = EventMap[typeof Subjects.JobsDesired]['jobs'][number];
export type JobActionSpec = JobSpec['actions'][number];
export type JobRunRef = NonNullable<EventMap[typeof Subjects.JobRunStarted]['run']>;
export type JobActionResult = EventMap[typeof Subjects.JobRunSucceeded]['actions'][number];

/** `<service>.<job>.<cluster>`: a job on one cluster. */
export function jobKey(j: Pick<JobSpec, 'service' | 'job' | 'cluster'>): string {
  return `${j.service}.${j.job}.${j.cluster}`;
}

/**
 * The id of the run of a job due at `at`: `<service>.<job>.<cluster>.<unix seconds>`. Every
 * scheduler computes the same id for the same due time, which is what makes a run fire once
 * however many schedulers see it due.
 */
export function scheduledRunId(j: Pick<JobSpec, 'service' | 'job' | 'cluster'>, at: Date): string {
  return `${jobKey(j)}.${Math.floor(at.getTime() / 1000)}`;
}

/** A NATS KV key for any id: KV keys take only [-/_=.a-zA-Z0-9], and no empty token. */
export function kvKey(id: string): string {
  return id
    .replace(/[^-/_=.a-zA-Z0-9]/g, '_')
    .replace(/\.\.+/g, '.')
    .replace(/^\.|\.$/g, '_');
}

/**
 * The catch-up rule: the latest due time after `last` (the last run any scheduler fired) and
 * not after `now`, or null when none was missed. However many runs were missed while no
 * scheduler ran, one run catches up, as of the latest of them.
 */
export function missedDue(schedule: Schedule, last: Date, now: Date): Date | null {
  const first = schedule.next(last);
  if (!first || first > now) return null;
  // Look back from now over growing spans until a due time falls in one, then step forward:
  // a few calls of next() whatever the downtime (a week of a per-minute cron included).
  for (let span = 1_000; ; span *= 2) {
    const from = Math.max(now.getTime() - span, last.getTime());
    let due = schedule.next(new Date(from));
    if (due && due <= now) {
      for (let n = schedule.next(due); n && n <= now; n = schedule.next(due)) due = n;
      return due;
    }
    if (from === last.getTime()) return first;
  }
}
