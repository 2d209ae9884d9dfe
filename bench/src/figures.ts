// One figure of a benchmark: what was measured, next to its floor measured in the same run,
// and the goal. Every bench records its figures here; `npm run bench` (run-all.ts) runs the
// benches with ORZO_BENCH_FIGURES set and writes the table in docs/performance.md from them.
import { appendFileSync } from 'node:fs';

export interface Figure {
  /** The bench's npm script name without "bench:" (deploy, api, soa...). */
  bench: string;
  measure: string;
  value: number;
  unit: string;
  /** The physical limit measured in the same run, in the same unit. */
  floor?: { label: string; value: number };
  /** What the value is held to: "ratio <= 1.5", "< 1000 ms", "0 failed". */
  goal: string;
  /** Whether the goal is met; undefined where the goal is not a number. */
  met?: boolean;
}

/** The ratio of value to floor, when there is a floor. */
export const ratioOf = (f: Figure): number | undefined => (f.floor && f.floor.value > 0 ? f.value / f.floor.value : undefined);

/** Records a figure for `npm run bench` (a no-op when a bench runs alone). */
export function recordFigure(figure: Figure): void {
  const file = process.env.ORZO_BENCH_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
}

/** Median and percentiles of a sample, nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
