// bench/chaos: runs the chaos tier (test/chaos, every fault against the real platform under a
// steady load through HAProxy) and prints one row per fault: the time until serving again,
// the time until converged, failed requests, events lost and duplicate containers, each next
// to its goal. The cases write their rows to ORZO_CHAOS_RESULTS; this prints them together.
// Usage: npm run bench:chaos   (needs Docker, HAProxy, nats-server, PostgreSQL on 5432)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChaosRow, REPO_ROOT } from '@orzo/testing';

const log = (line: string) => process.stdout.write(`${line}\n`);
const sec = (ms?: number) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

function main(): number {
  const results = join(mkdtempSync(join(tmpdir(), 'orzo-bench-chaos-')), 'rows.jsonl');
  const started = Date.now();
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'run-tests.mjs'), 'chaos'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ORZO_CHAOS_RESULTS: results },
  });
  const rows = existsSync(results)
    ? readFileSync(results, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ChaosRow)
    : [];
  log(`chaos tier: ${rows.length} faults in ${sec(Date.now() - started)} (test run exit ${run.status})`);
  const header = ['fault', 'serving again (goal)', 'converged', 'failed requests (goal)', 'events lost (goal 0)', 'duplicates (goal 0)'];
  const table = rows.map((r) => [
    r.case,
    `${sec(r.servingAgainMs)} (${r.goal.servingAgainMs === undefined ? 'no interruption' : `< ${sec(r.goal.servingAgainMs)}`})`,
    sec(r.convergedMs),
    `${r.failed}/${r.requests} (${r.goal.failed === 'some' ? 'some expected' : r.goal.failed})`,
    String(r.eventsLost),
    String(r.duplicates),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  for (const line of [header, widths.map((w) => '-'.repeat(w)), ...table]) log(`| ${line.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
  return run.status ?? 1;
}

process.exitCode = main();
