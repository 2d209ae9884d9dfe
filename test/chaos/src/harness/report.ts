import { appendFileSync } from 'node:fs';
import type { ChaosRow } from '@orzo/testing';

const sec = (ms?: number) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

export function formatRow(r: ChaosRow): string {
  const goalFailed = r.goal.failed === 'some' ? 'failures expected' : `goal ${r.goal.failed}`;
  const goalServing = r.goal.servingAgainMs === undefined ? '' : ` (goal < ${sec(r.goal.servingAgainMs)})`;
  return [
    r.case.padEnd(44),
    `serving again ${sec(r.servingAgainMs)}${goalServing}`,
    `converged ${sec(r.convergedMs)}`,
    `failed ${r.failed}/${r.requests} (${goalFailed})`,
    `events lost ${r.eventsLost} (goal 0)`,
    `duplicates ${r.duplicates} (goal 0)`,
  ].join(' | ');
}

/** Prints one row per case; with ORZO_CHAOS_RESULTS set, appends it there as a JSON line too (npm run bench:chaos). */
export function reportRow(r: ChaosRow): void {
  process.stdout.write(`chaos: ${formatRow(r)}\n`);
  if (Object.keys(r.reasons).length) process.stdout.write(`chaos:   failures: ${JSON.stringify(r.reasons)}\n`);
  if (r.lostDetail.length) process.stdout.write(`chaos:   lost: ${r.lostDetail.join('; ')}\n`);
  if (process.env.ORZO_CHAOS_RESULTS) appendFileSync(process.env.ORZO_CHAOS_RESULTS, `${JSON.stringify(r)}\n`);
}
