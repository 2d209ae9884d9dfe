/**
 * Crashes per instance in a sliding window (from instance.stopped: exits and OOM kills, not
 * drains). Kept in memory: after a restart of monitor-bridge the window starts empty, which can
 * only delay a crash-loop alert by one window, never raise a false one.
 */
export class CrashWindow {
  private readonly crashes = new Map<string, number[]>();
  private readonly ooms = new Map<string, { at: number; replicaId: string }>();

  constructor(private readonly windowMs: number) {}

  recordCrash(instanceKey: string, at: number): void {
    const list = this.prune(instanceKey, at);
    list.push(at);
    this.crashes.set(instanceKey, list);
  }

  recordOom(instanceKey: string, replicaId: string, at: number): void {
    this.ooms.set(instanceKey, { at, replicaId });
  }

  /** Crashes within the window ending at `now`. */
  crashCount(instanceKey: string, now: number): number {
    return this.prune(instanceKey, now).length;
  }

  /** The last OOM kill of the instance, if any. */
  lastOom(instanceKey: string): { at: number; replicaId: string } | undefined {
    return this.ooms.get(instanceKey);
  }

  private prune(instanceKey: string, now: number): number[] {
    const kept = (this.crashes.get(instanceKey) ?? []).filter((t) => now - t < this.windowMs);
    this.crashes.set(instanceKey, kept);
    return kept;
  }
}

/** Whether an instance.stopped reports a crash (it died by itself) rather than a drain or scale-down. */
export function isCrash(stopped: { reason: string; oomKilled: boolean }): boolean {
  return stopped.oomKilled || stopped.reason === 'oom-killed' || stopped.reason.startsWith('exited');
}
