const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, D: 86400, w: 604800, W: 604800, M: 2_592_000, Y: 31_536_000 };

/** Tron's spelled-out units ("10 minutes", "1 hour", "30 secs"), singular. */
const UNIT_WORDS: Record<string, number> = { sec: 1, second: 1, min: 60, minute: 60, hr: 3600, hour: 3600, day: 86400, week: 604800 };

/**
 * PaaSTA's human durations: "30s", "10m", "1h30m", "1D", "2W", "1M" (30 days), "1Y", or a number of
 * seconds; with `words`, also Tron's time deltas ("10 minutes", "1 hour"). Returns seconds, or null when the text is not a duration.
 */
export function parseDuration(value: unknown, words = false): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  // A tree repeats a few durations ("10m", "1m") over thousands of instances: parse each once.
  const cache = words ? WITH_WORDS : PLAIN;
  let seconds = cache.get(value);
  if (seconds === undefined) {
    if (cache.size >= 1000) cache.clear();
    cache.set(value, (seconds = parseDurationText(value, words)));
  }
  return seconds;
}

const PLAIN = new Map<string, number | null>();
const WITH_WORDS = new Map<string, number | null>();

function parseDurationText(value: string, words: boolean): number | null {
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|D|w|W|M|Y|[a-z]{3,})(?![a-zA-Z])\s*,?\s*/.exec(rest);
    const unit = m ? (UNIT_SECONDS[m[2]!] ?? (words ? UNIT_WORDS[m[2]!.replace(/s$/, '')] : undefined)) : undefined;
    if (!m || unit === undefined) return null;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return total;
}
