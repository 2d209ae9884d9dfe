import type { Replica } from './replica.entity';
import type { ReplicaExit } from './replica-exit.entity';

/** How long after a replica of the instance exited on its own the replicas that became healthy since show Warning. */
export const RECENT_EXIT_MS = 10 * 60_000;

/**
 * PaaSTA's replica state of one running replica, from the read model: Healthy, Starting (not
 * passed its check yet), Not Ready (failing its check max_consecutive_failures times in a row),
 * Terminating (being drained), Warning (healthy, but became so after a replica of its instance
 * exited on its own within RECENT_EXIT_MS: a crash's replacement, watch it). A replica that
 * exited on its own is Failed: shown apart (InstanceStatus.exited), it runs no more.
 */
export function replicaState(r: Replica, lastExit: ReplicaExit | undefined, now = Date.now()): string {
  if (r.state === 'Healthy' && lastExit && now - Date.parse(lastExit.at) < RECENT_EXIT_MS && r.updatedAt >= lastExit.at) return 'Warning';
  return r.state;
}

/**
 * Why an instance has not converged, in one line per cause: the failing check of each
 * replica (with its output), replicas that exited on their own, the bounce's progress and
 * scheduler-bridge's engine errors.
 */
export function stuckReasons(input: {
  replicas: Array<Replica & { shownState: string }>;
  exits: ReplicaExit[];
  progress?: string;
  problems: Array<{ replicaName: string; action: string; attempts: number; error: string; nextRetryAt?: string }>;
  now?: number;
}): string[] {
  const now = input.now ?? Date.now();
  const reasons: string[] = [];
  for (const r of input.replicas.filter((x) => x.shownState === 'Not Ready'))
    reasons.push(
      `replica ${r.replicaId.slice(0, 12)} is failing its health check${r.failures ? ` (${r.failures}x in a row)` : ''}: ${r.detail || 'no output'}`,
    );
  const recent = input.exits.filter((e) => now - Date.parse(e.at) < RECENT_EXIT_MS);
  if (recent.length) {
    const last = recent.reduce((a, b) => (a.at > b.at ? a : b));
    reasons.push(`${recent.length} replica(s) exited on their own in the last ${RECENT_EXIT_MS / 60_000}m (restarts); last: ${last.reason} at ${last.at}`);
  }
  if (input.progress) reasons.push(input.progress);
  for (const p of input.problems) {
    if (p.action === 'backoff') {
      const next = p.nextRetryAt ? Date.parse(p.nextRetryAt) : NaN;
      const wait = Number.isFinite(next) ? Math.round((next - now) / 1000) : 0;
      reasons.push(`crash loop, ${wait > 0 ? `next start in ${wait}s` : 'starting again now'} (${p.attempts} crash(es) in a row; last: ${p.error})`);
    } else reasons.push(`${p.action} of ${p.replicaName || 'the instance'} failed ${p.attempts}x: ${p.error}`);
  }
  return reasons;
}

/** A check's output on one line, at most 300 characters (an HTML error page is not a reason). */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
