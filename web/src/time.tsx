import { useEffect, useState } from 'react';

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function ago(at: string, now: number): string {
  const diff = Date.parse(at) - now;
  // Server and browser clocks differ a little: a time just ahead of ours is "now", not "in 2 seconds".
  const ms = diff > 0 && diff < 60_000 ? 0 : diff;
  for (const [unit, size] of UNITS) if (Math.abs(ms) >= size || unit === 'second') return relative.format(Math.round(ms / size), unit);
  return '';
}

/** Re-renders every 15 s so relative times stay true. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** A time shown relative ("3 minutes ago"), with the absolute UTC time as its title and datetime. */
export function Time({ at }: { at?: string }) {
  useNow();
  const now = Date.now();
  if (!at || Number.isNaN(Date.parse(at))) return <span className="muted">–</span>;
  const iso = new Date(at).toISOString();
  return (
    <time dateTime={iso} title={iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}>
      {ago(at, now)}
    </time>
  );
}
