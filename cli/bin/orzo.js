#!/usr/bin/env node
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

// The bundle (scripts/bundle-cli.mjs) when it is newer than every source file of ours it was
// made from; else the plain build, so a stale bundle never runs.
function entry() {
  const dir = join(__dirname, '..', 'dist', 'src');
  const main = join(dir, 'main.js');
  if (process.env.ORZO_CLI_BUNDLE === '0') return main;
  try {
    const bundle = join(dir, 'orzo.bundle.js');
    const made = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(dir, 'orzo.bundle.inputs.json'), 'utf8'));
    return inputs.every((f) => statSync(join(dir, f)).mtimeMs <= made) ? bundle : main;
  } catch {
    return main;
  }
}

// `orzo ... | head`: a reader that went away is not an error of ours.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

require(entry())
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
