import type { ReplicaProblem } from '@orzo/contracts';

export type EngineAction = 'remove' | 'stop' | 'start' | 'inspect' | 'list';

/** The delay before attempt `attempts + 1`: 1 s, 2 s, 4 s, ... at most 30 s. */
export function retryDelayMs(attempts: number, baseMs = 1_000, maxMs = 30_000): number {
  return Math.min(baseMs * 2 ** Math.max(attempts - 1, 0), maxMs);
}

interface Entry {
  replicaId: string;
  replicaName: string;
  action: EngineAction;
  error: string;
  attempts: number;
  firstSeenAt: number;
  nextRetryAt: number;
}

/**
 * Engine errors of single replicas, per instance: recorded instead of aborting the pass, so
 * one container the engine cannot remove never blocks its instance. Each one is retried with
 * backoff (the reconciler skips it until it is due) and shown in deploy.progressed and
 * `orzo status` until an attempt succeeds or the replica is gone.
 */
export class ReplicaProblems {
  private readonly byInstance = new Map<string, Map<string, Entry>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a failed attempt; returns the delay until the next one is due. */
  fail(key: string, replica: { id: string; name: string } | undefined, action: EngineAction, err: unknown): number {
    const entries = this.entries(key);
    const id = problemKey(replica?.id ?? '', action);
    const previous = entries.get(id);
    const attempts = (previous?.attempts ?? 0) + 1;
    const delay = retryDelayMs(attempts);
    entries.set(id, {
      replicaId: replica?.id ?? '',
      replicaName: replica?.name ?? '',
      action,
      error: errorText(err),
      attempts,
      firstSeenAt: previous?.firstSeenAt ?? this.now(),
      nextRetryAt: this.now() + delay,
    });
    return delay;
  }

  /** An attempt succeeded: the problem is over. */
  succeed(key: string, replicaId: string, action: EngineAction): void {
    this.byInstance.get(key)?.delete(problemKey(replicaId, action));
  }

  has(key: string, replicaId: string, action: EngineAction): boolean {
    return this.byInstance.get(key)?.has(problemKey(replicaId, action)) ?? false;
  }

  /** Whether an action on a replica may be attempted now (never failed, or its backoff is over). */
  due(key: string, replicaId: string, action: EngineAction): boolean {
    const e = this.byInstance.get(key)?.get(problemKey(replicaId, action));
    return !e || e.nextRetryAt <= this.now();
  }

  /** Forgets the problems of replicas that are no longer there (removed by hand, by the engine). */
  keepOnly(key: string, present: ReadonlySet<string>): void {
    const entries = this.byInstance.get(key);
    if (!entries) return;
    for (const [id, e] of entries) if (e.replicaId && !present.has(e.replicaId)) entries.delete(id);
  }

  /** Instance-wide problems (no replica id) are cleared when the instance is read again. */
  clearInstanceWide(key: string, action: EngineAction): void {
    this.byInstance.get(key)?.delete(problemKey('', action));
  }

  list(key: string): ReplicaProblem[] {
    return [...(this.byInstance.get(key)?.values() ?? [])].map((e) => ({
      replicaId: e.replicaId,
      replicaName: e.replicaName,
      action: e.action,
      error: e.error,
      attempts: e.attempts,
      nextRetryAt: new Date(e.nextRetryAt).toISOString(),
      firstSeenAt: new Date(e.firstSeenAt).toISOString(),
    }));
  }

  /** What deploy.progressed last told about, to publish only on a change. */
  signature(key: string): string {
    return this.list(key)
      .map((p) => `${p.replicaId}/${p.action}/${p.attempts}`)
      .sort()
      .join(',');
  }

  private entries(key: string): Map<string, Entry> {
    let entries = this.byInstance.get(key);
    if (!entries) this.byInstance.set(key, (entries = new Map()));
    return entries;
  }
}

function problemKey(replicaId: string, action: EngineAction): string {
  return `${replicaId}/${action}`;
}

/** One line: Docker's messages carry the HTTP code and the daemon's own text. */
function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}
