import { parseDuration } from '../scaling/duration';

/**
 * `--since 10m` or an RFC 3339 time as the engine's `since` (unix seconds with a fraction);
 * undefined when it is neither.
 */
export function sinceToUnix(since: string, now = Date.now()): string | undefined {
  const s = since.trim();
  const seconds = parseDuration(s);
  if (seconds !== undefined) return ((now - seconds * 1000) / 1000).toFixed(3);
  if (!/^\d{4}-\d\d-\d\dT/.test(s)) return undefined;
  const at = Date.parse(s);
  return Number.isFinite(at) ? (at / 1000).toFixed(3) : undefined;
}

/** A line as the bridges return it, with where it came from. */
export interface ReplicaLine {
  at: string;
  cluster: string;
  instance: string;
  replicaId: string;
  replicaName: string;
  stream: string;
  line: string;
}

/**
 * What a follower has shown: per replica, the stamp of its last line shown. A page asked with
 * an overlap (since a little before the last ask) repeats some lines; `fresh` keeps the rest.
 */
export class SeenLines {
  private readonly last = new Map<string, string>();

  /** The lines not shown yet, in time order; marks them shown. */
  fresh(lines: ReplicaLine[]): ReplicaLine[] {
    const out = lines.filter((l) => l.at > (this.last.get(l.replicaId) ?? ''));
    for (const l of out) this.last.set(l.replicaId, l.at);
    return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
}
