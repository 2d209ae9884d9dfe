import type { ReactNode } from 'react';

export const short = (sha?: string): string => (sha ? sha.slice(0, 8) : '–');

/** A coloured word for a state; the colour is never the only signal (the word is there). */
export function StateBadge({ state }: { state?: string }) {
  const s = state ?? 'Unknown';
  const tone = /^(Running|Healthy|succeeded|completed|delivered)/i.test(s)
    ? 'good'
    : /^(Failed|failed|Critical|critical|Crash|Stopped|blocked)/i.test(s)
      ? 'bad'
      : /^(Bouncing|Starting|Not Ready|running|requested|Terminating|warning|waiting)/i.test(s)
        ? 'warn'
        : 'neutral';
  return <span className={`badge ${tone}`}>{s}</span>;
}

export function Status({ loading, error }: { loading?: boolean; error?: string }) {
  if (error)
    return (
      <p role="alert" className="outcome bad">
        {error}
      </p>
    );
  if (loading) return <p className="muted">Loading…</p>;
  return null;
}

/** A wide table that scrolls sideways on a phone; focusable so a keyboard can scroll it. */
export function TableBox({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-box" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function Replicas({ healthy, desired }: { healthy?: number; desired?: number }) {
  const h = healthy ?? 0;
  const d = desired ?? 0;
  return (
    <span className={`replicas ${h >= d && d > 0 ? 'good' : d === 0 ? 'neutral' : 'warn'}`} aria-label={`${h} of ${d} replicas healthy`}>
      {h}/{d}
    </span>
  );
}

/** A table with column headers, in a TableBox. */
export function DataTable({ label, columns, className, children }: { label: string; columns: readonly string[]; className?: string; children: ReactNode }) {
  return (
    <TableBox label={label}>
      <table className={className}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </TableBox>
  );
}
