// npm run bench: runs every benchmark, one after another on an otherwise idle machine, and
// writes the figures table of docs/performance.md (between its "figures" markers) from what
// each recorded: value, floor measured in the same run, ratio, goal, and the machine.
// Usage: npm run bench [-- --only deploy,api] [-- --with-chaos] [-- --with-swarm] [-- --no-write]
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@orzo/testing';
import { Figure, ratioOf } from './figures';

interface Bench {
  name: string;
  script: string;
  args?: string[];
  /** Run only when asked (long, or needs root and network namespaces). */
  optIn?: string;
}

const BENCHES: Bench[] = [
  { name: 'soa', script: 'soa-config.js' },
  { name: 'bus', script: 'bus-throughput.js' },
  { name: 'api', script: 'api-latency.js' },
  { name: 'status', script: 'status-latency.js' },
  { name: 'reconcile', script: 'reconcile-scale.js' },
  { name: 'deploy', script: 'deploy-latency.js' },
  { name: 'routed', script: 'healthy-to-routed.js' },
  { name: 'commit', script: 'commit-to-serving.js' },
  { name: 'heal-bounce', script: 'heal-bounce.js' },
  { name: 'alert-latency', script: 'alert-latency.js' },
  { name: 'deploy-swarm', script: 'deploy-latency.js', args: ['--swarm'], optIn: '--with-swarm' },
  { name: 'chaos', script: 'chaos.js', optIn: '--with-chaos' },
];

const MARK_BEGIN = '<!-- figures: begin (npm run bench writes this table) -->';
const MARK_END = '<!-- figures: end -->';

const fmt = (v: number, unit: string) => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;

/** A table cell's text as Markdown: a `|` would end the cell and a line break the row. */
export const markdownCell = (text: string): string => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

export function renderTable(figures: readonly Figure[], machine: string): string {
  const rows = figures.map((f) => {
    const ratio = ratioOf(f);
    return [
      f.bench,
      f.measure,
      fmt(f.value, f.unit),
      f.floor ? `${f.floor.label}: ${fmt(f.floor.value, f.unit)}` : '',
      ratio === undefined ? '' : ratio.toFixed(2),
      f.goal,
      f.met === undefined ? '' : f.met ? 'yes' : 'no',
    ];
  });
  const header = ['bench', 'measure', 'value', 'floor (same run)', 'ratio', 'goal', 'met'];
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  return [machine, '', line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function main(): number {
  const argv = process.argv.slice(2);
  const only = argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '').split(',') : undefined;
  const chosen = BENCHES.filter((b) => (only ? only.includes(b.name) : !b.optIn || argv.includes(b.optIn)));
  const file = join(mkdtempSync(join(tmpdir(), 'orzo-bench-')), 'figures.jsonl');
  const failed: string[] = [];
  const started = new Date();
  const load = loadavg()[0]!.toFixed(2);
  for (const b of chosen) {
    const script = join(REPO_ROOT, 'bench', 'dist', 'src', b.script);
    if (!existsSync(script)) {
      process.stdout.write(`== ${b.name}: ${b.script} is not built, skipped\n`);
      continue;
    }
    process.stdout.write(`== ${b.name}\n`);
    const run = spawnSync(process.execPath, [script, ...(b.args ?? [])], { stdio: 'inherit', env: { ...process.env, ORZO_BENCH_FIGURES: file } });
    if (run.status !== 0) failed.push(`${b.name} (exit ${run.status ?? run.signal})`);
  }
  const figures = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Figure)
    : [];
  const cpu = cpus();
  const machine = `Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average ${load} at the start${failed.length ? `; failed: ${failed.join(', ')}` : ''}.`;
  const table = renderTable(figures, machine);
  process.stdout.write(`\n${table}\n`);
  const doc = join(REPO_ROOT, 'docs', 'performance.md');
  if (!argv.includes('--no-write') && !only && existsSync(doc)) {
    const text = readFileSync(doc, 'utf8');
    const a = text.indexOf(MARK_BEGIN);
    const z = text.indexOf(MARK_END);
    if (a >= 0 && z > a) {
      writeFileSync(doc, `${text.slice(0, a + MARK_BEGIN.length)}\n\n${table}\n\n${text.slice(z)}`);
      // The page is checked by Prettier like every Markdown file: format what was written.
      spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'prettier'), ['--write', doc], { stdio: 'ignore' });
      process.stdout.write(`written to ${doc}\n`);
    }
  }
  return failed.length ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
