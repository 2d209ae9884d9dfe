import type { ReplicaProblem } from '@orzo/contracts';

/** The longest wait between starts of a crash-looping instance (Marathon's max_launch_delay, Kubernetes' CrashLoopBackOff cap). */
export const BACKOFF_CAP_S = 300;
/** backoff_seconds when the spec has none (an InstanceSpec from before the field): Kubernetes' first CrashLoopBackOff delay. */
export const DEFAULT_BACKOFF_S = 10;
/** A crash this long after the previous one starts the count again (Kubernetes resets after 10 minutes of running fine). */
export const BACKOFF_RESET_MS = 10 * 60_000;
/** How long a replica of an instance without a health check must have run for its death to be no crash (being up is all its health). */
export const UNCHECKED_MIN_UPTIME_MS = 10_000;

/**
 * Whether a dead replica's death is part of a crash loop, so that it counts for the backoff. A
 * replica that passed its health check (and was UP in discovery) before it died had started
 * fine: whatever ended it (SIGKILL from outside, an OOM after hours, a host-level kill) is a
 * one-off, replaced at once, like a TASK_KILLED in Marathon, which never raises the launch delay.
 * One that never got there counts, unless it ran BACKOFF_RESET_MS (Kubernetes' rule; it also
 * covers a bridge restarted meanwhile, which forgot what it saw). Without a health check
 * (`checked` false) passing means only running: there a run of UNCHECKED_MIN_UPTIME_MS is the proof.
 */
export function diedInCrashLoop(d: { passedCheck: boolean; checked: boolean; startedAt?: string; finishedAt?: string }): boolean {
  if (d.checked && d.passedCheck) return false;
  const upMs = d.startedAt && d.finishedAt ? Date.parse(d.finishedAt) - Date.parse(d.startedAt) : NaN;
  return !(upMs >= (d.checked ? BACKOFF_RESET_MS : UNCHECKED_MIN_UPTIME_MS));
}

/**
 * The wait before the start that follows the `crashes`-th crash in a row: none after the first
 * (a one-off crash, or every replica dying with its engine, costs no capacity), then base,
 * 2 × base, 4 × base, ... at most the cap.
 */
export function restartDelayMs(crashes: number, baseSeconds: number, capSeconds = BACKOFF_CAP_S): number {
  if (crashes <= 1) return 0;
  const base = baseSeconds > 0 ? baseSeconds : DEFAULT_BACKOFF_S;
  return Math.round(Math.min(base * 2 ** (crashes - 2), Math.max(capSeconds, base)) * 1000);
}

interface State {
  deployId: string;
  crashes: number;
  seen: Set<string>;
  firstCrashAt: number;
  lastCrashAt: number;
  nextStartAt: number;
  lastReason: string;
}

/**
 * Crash restart backoff per instance (backoff_seconds, doubling per crash in a row up to
 * BACKOFF_CAP_S): a replica that keeps exiting is started again later and later instead of at
 * once forever. Each dead replica counts once, and replicas found dead together (one pass: all
 * of them killed with their engine) are one crash; a new deploy (another deployId) or a quiet
 * spell of BACKOFF_RESET_MS starts the count again. Only deaths of a crash loop count
 * (diedInCrashLoop); the death of a replica that had started fine (`crash: false`) is replaced
 * at once and ends the loop: the count starts again. Pure bookkeeping: the reconciler asks how long
 * to wait before a start and shows the wait in `orzo status` as a `backoff` problem.
 */
export class RestartBackoff {
  private readonly byInstance = new Map<string, State>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records the replicas found dead in one pass (each id once) as one crash; another deploy's spec resets the count first. */
  record(key: string, deployId: string, dead: ReadonlyArray<{ id: string; reason: string; crash?: boolean }>, baseSeconds: number): void {
    let s = this.byInstance.get(key);
    const now = this.now();
    if (!s || s.deployId !== deployId || now - s.lastCrashAt > BACKOFF_RESET_MS) {
      s = { deployId, crashes: 0, seen: s?.deployId === deployId ? s.seen : new Set(), firstCrashAt: now, lastCrashAt: now, nextStartAt: now, lastReason: '' };
      this.byInstance.set(key, s);
    }
    const fresh = dead.filter((d) => !s.seen.has(d.id));
    if (!fresh.length) return;
    for (const d of fresh) s.seen.add(d.id);
    const crashes = fresh.filter((d) => d.crash !== false);
    if (!crashes.length) {
      s.crashes = 0;
      s.nextStartAt = now;
      return;
    }
    s.crashes++;
    s.lastCrashAt = now;
    s.lastReason = crashes[crashes.length - 1]!.reason;
    s.nextStartAt = now + restartDelayMs(s.crashes, baseSeconds);
  }

  /** Milliseconds until a replica of the instance may be started again (0: now). */
  waitMs(key: string, deployId: string): number {
    const s = this.byInstance.get(key);
    if (!s || s.deployId !== deployId) return 0;
    return Math.max(0, s.nextStartAt - this.now());
  }

  /**
   * The backoff as a problem of the instance while it matters: waiting for the next start, or
   * two crashes or more in a row recently (a crash loop, even between waits).
   */
  problem(key: string): ReplicaProblem | undefined {
    const s = this.byInstance.get(key);
    const now = this.now();
    if (!s || s.crashes === 0 || now - s.lastCrashAt > BACKOFF_RESET_MS) return undefined;
    if (s.nextStartAt <= now && s.crashes < 2) return undefined;
    return {
      replicaId: '',
      replicaName: '',
      action: 'backoff',
      error: s.lastReason,
      attempts: s.crashes,
      nextRetryAt: new Date(s.nextStartAt).toISOString(),
      firstSeenAt: new Date(s.firstCrashAt).toISOString(),
    };
  }

  /** What deploy.progressed last told about it, to publish again only on a change. */
  signature(key: string): string {
    const p = this.problem(key);
    return p ? `backoff/${p.attempts}/${Date.parse(p.nextRetryAt) > this.now() ? 'waiting' : 'started'}` : '';
  }
}
