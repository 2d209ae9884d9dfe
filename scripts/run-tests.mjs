#!/usr/bin/env node
// Runs the compiled tests of one or more tiers with node's test runner, one file at a time
// (integration and e2e tests start servers; two cores do not run two of them well).
//   unit: **/dist/src/**/*.spec.js        (no I/O, beside the code)
//   int:  **/dist/test/**/*.int-spec.js   (per lib/service, real NATS / PostgreSQL / SQLite)
//   e2e:  test/e2e/dist/**/*.e2e-spec.js  (the whole platform)
//   chaos: test/chaos/dist/**/*.chaos-spec.js (the whole platform under faults, after e2e)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tiers = { unit: /\.spec\.js$/, int: /\.int-spec\.js$/, e2e: /\.e2e-spec\.js$/, chaos: /\.chaos-spec\.js$/ };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'int', 'e2e', 'chaos'];
for (const t of wanted)
  if (!tiers[t]) {
    console.error(`unknown tier ${t}; tiers: ${Object.keys(tiers).join(', ')}`);
    process.exit(2);
  }

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const projectDirs = ['libs', 'services']
  .flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p)))
  .concat([join(root, 'cli'), join(root, 'test', 'e2e'), join(root, 'test', 'chaos'), join(root, 'bench')]);
const files = [];
for (const dir of projectDirs) {
  for (const file of walk(join(dir, 'dist'), [])) {
    const name = file.split('/').pop();
    const tier = name.endsWith('.int-spec.js')
      ? 'int'
      : name.endsWith('.e2e-spec.js')
        ? 'e2e'
        : name.endsWith('.chaos-spec.js')
          ? 'chaos'
          : name.endsWith('.spec.js')
            ? 'unit'
            : null;
    if (tier && wanted.includes(tier)) files.push({ tier, file });
  }
}
files.sort((a, b) => wanted.indexOf(a.tier) - wanted.indexOf(b.tier) || a.file.localeCompare(b.file));
if (files.length === 0) {
  console.error(`no test files found for ${wanted.join(', ')}: run "npm run build" first`);
  process.exit(1);
}
console.log(`running ${files.length} test files (${wanted.join(', ')}):\n${files.map((f) => `  [${f.tier}] ${relative(root, f.file)}`).join('\n')}`);
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=600000', ...files.map((f) => f.file)], {
  stdio: 'inherit',
  cwd: root,
  // testcontainers' reaper (Ryuk) is an image from Docker Hub, which is not reachable here.
  env: { ...process.env, TESTCONTAINERS_RYUK_DISABLED: process.env.TESTCONTAINERS_RYUK_DISABLED ?? 'true' },
});
process.exit(res.status ?? 1);
