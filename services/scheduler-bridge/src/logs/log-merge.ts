/** One line of one replica, stamped by the engine. */
export interface StampedLine {
  at: string;
  replicaId: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * Docker's RFC 3339 stamps trim trailing zeros of the fraction (…:01.5Z, …:01.123456789Z), so
 * they do not compare as strings; padded to exactly nine digits they do.
 */
export function normalizeStamp(at: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(at);
  if (!m) return at;
  const utc = m[3] === 'Z' ? m[1]! : new Date(`${m[1]}${m[3]}`).toISOString().slice(0, 19);
  return `${utc}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/**
 * The lines of every replica in one timeline (a stable merge: lines of one replica keep their
 * order), keeping the newest ones that fit in `maxBytes`; truncated says whether older ones
 * were left out.
 */
export function mergeByTime(perReplica: StampedLine[][], maxBytes: number): { lines: StampedLine[]; truncated: boolean } {
  const all = perReplica.flat().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  let bytes = 0;
  let first = all.length;
  while (first > 0) {
    const l = all[first - 1]!;
    const size = l.line.length + l.at.length + l.replicaId.length + 40;
    if (bytes + size > maxBytes) break;
    bytes += size;
    first--;
  }
  return { lines: all.slice(first), truncated: first > 0 };
}
