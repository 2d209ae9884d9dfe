const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "30m", "3h", "1d", "1h30m" -> seconds; undefined when not such a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+[smhd])+$/.test(t)) return undefined;
  let total = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNITS[unit!]!;
  return total > 0 ? total : undefined;
}
