import { Children, cloneElement, isValidElement, type ReactElement, type ReactNode } from 'react';

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

/**
 * A table with column headers, in a TableBox. With `stack`, each cell carries its column's
 * name (data-label), and on a phone each row shows as a block of "name value" lines instead of
 * a table to scroll sideways.
 */
export function DataTable({
  label,
  columns,
  className,
  stack,
  children,
}: {
  label: string;
  columns: readonly string[];
  className?: string;
  stack?: boolean;
  children: ReactNode;
}) {
  const rows = stack
    ? Children.map(children, (row) => (isValidElement(row) ? labelCells(row as ReactElement<{ children?: ReactNode }>, columns) : row))
    : children;
  return (
    <TableBox label={label}>
      <table className={[className, stack ? 'stack' : ''].filter(Boolean).join(' ') || undefined}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{rows}</tbody>
      </table>
    </TableBox>
  );
}

function labelCells(row: ReactElement<{ children?: ReactNode }>, columns: readonly string[]): ReactElement {
  const cells = Children.toArray(row.props.children).map((cell, i) =>
    isValidElement(cell) ? cloneElement(cell as ReactElement<Record<string, unknown>>, { 'data-label': columns[i] }) : cell,
  );
  return cloneElement(row, {}, ...cells);
}
