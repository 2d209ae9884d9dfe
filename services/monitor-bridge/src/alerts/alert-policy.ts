import { CheckStatus } from '../checks/check-result';

/** When an alert fires and repeats: the instance's monitoring with the check's overrides applied. */
export interface AlertTiming {
  /** The condition must hold this long before the alert fires (alert_after). */
  alertAfterSeconds: number;
  /** Check runs between repeats while it holds: -1 exponential (1, 2, 4, 8...), 0 never. */
  realertEvery: number;
  /** When realert_every was a duration: seconds between repeats (wins over realertEvery). */
  realertEverySeconds: number;
}

/** What is remembered of one alert between check runs (persisted, so a restart changes nothing). */
export interface AlertState {
  status: CheckStatus;
  output: string;
  /** ms epoch: since when the check has not been OK; undefined while OK. */
  failingSince?: number;
  /** ms epoch: when it fired; undefined while not firing. */
  raisedAt?: number;
  /** Non-OK runs since it fired (1 = the run that raised it). */
  firingRuns: number;
  /** ms epoch of the last raise or repeat. */
  lastAlertAt?: number;
  /** 0 for the first raise, then one more per repeat. */
  repeats: number;
  /** One more per published transition: part of the event id, so a re-publish is a duplicate. */
  seq: number;
}

export type AlertAction = 'raise' | 'repeat' | 'resolve' | 'none';

export const INITIAL_STATE: AlertState = { status: CheckStatus.OK, output: '', firingRuns: 0, repeats: 0, seq: 0 };

/**
 * One check result applied to an alert: alert_after (the condition must hold that long),
 * realert_every (repeat while it holds, in check runs as pysensu-yelp counts them, or as a
 * duration), a change of severity while firing re-raises, OK resolves. Pure.
 */
export function applyResult(prev: AlertState, status: CheckStatus, output: string, t: AlertTiming, now: number): { next: AlertState; action: AlertAction } {
  if (status === CheckStatus.OK) {
    const next: AlertState = { ...INITIAL_STATE, output, seq: prev.raisedAt !== undefined ? prev.seq + 1 : prev.seq };
    return { next, action: prev.raisedAt !== undefined ? 'resolve' : 'none' };
  }
  const failingSince = prev.failingSince ?? now;
  if (prev.raisedAt === undefined) {
    const due = now - failingSince >= t.alertAfterSeconds * 1000;
    const next: AlertState = { ...prev, status, output, failingSince };
    if (!due) return { next, action: 'none' };
    return { next: { ...next, raisedAt: now, firingRuns: 1, lastAlertAt: now, repeats: 0, seq: prev.seq + 1 }, action: 'raise' };
  }
  const firingRuns = prev.firingRuns + 1;
  const base: AlertState = { ...prev, status, output, failingSince, firingRuns };
  if (status !== prev.status || shouldRepeat(firingRuns, prev.lastAlertAt ?? now, t, now))
    return { next: { ...base, lastAlertAt: now, repeats: prev.repeats + 1, seq: prev.seq + 1 }, action: 'repeat' };
  return { next: base, action: 'none' };
}

function shouldRepeat(firingRuns: number, lastAlertAt: number, t: AlertTiming, now: number): boolean {
  if (t.realertEverySeconds > 0) return now - lastAlertAt >= t.realertEverySeconds * 1000;
  if (t.realertEvery === -1) return (firingRuns & (firingRuns - 1)) === 0; // 2, 4, 8... (1 was the raise)
  if (t.realertEvery > 0) return (firingRuns - 1) % t.realertEvery === 0;
  return false;
}
