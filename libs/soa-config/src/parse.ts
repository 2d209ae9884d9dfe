const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, D: 86400, w: 604800, W: 604800, M: 2_592_000, Y: 31_536_000 };

/**
 * PaaSTA's human durations: "30s", "10m", "1h30m", "1D", "2W", "1M" (30 days), "1Y", or a
 * number of seconds. Returns seconds, or null when the text is not a duration.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|D|w|W|M|Y)\s*/.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}
