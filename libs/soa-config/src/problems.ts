/** One thing wrong in a soa-configs tree, located precisely enough to fix it. */
export interface ConfigProblem {
  file: string;
  /** 1-based; 0 when the problem is about a file as a whole. */
  line: number;
  column: number;
  /** Key path inside the file, e.g. `main.healthcheck_uri`; empty for the whole file. */
  path: string;
  message: string;
  expected?: string;
  found?: string;
  hint?: string;
  /** info: a note (e.g. a file for a cluster this Orzo does not run), never a failure. */
  severity: 'error' | 'warning' | 'info';
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  const detail = [p.expected !== undefined ? `expected ${p.expected}` : '', p.found !== undefined ? `found ${p.found}` : ''].filter(Boolean).join(', ');
  return `${where}: ${p.severity}: ${p.path ? `${p.path}: ` : ''}${p.message}${detail ? ` (${detail})` : ''}${p.hint ? `; ${p.hint}` : ''}`;
}

/** The closest candidate to a misspelt key, if it is close enough to be a typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(1, Math.min(3, Math.floor(Math.max(word.length, best.length) / 4)));
  return bestDistance <= allowed ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
