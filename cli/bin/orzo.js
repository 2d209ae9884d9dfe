#!/usr/bin/env node
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

// Verbs with a bundle of their own (cli/src/api-main.ts): they load only what they need.
const LEAN = { status: 'api', 'mark-for-deployment': 'api' };

// The bundle (scripts/bundle-cli.mjs) when it is newer than every source file of ours it was
// made from; else the plain build, so a stale bundle never runs. `status` and
// `mark-for-deployment` as the first argument run the smaller bundle of their verbs.
function entry(verb) {
  const dir = join(__dirname, '..', 'dist', 'src');
  const lean = Object.hasOwn(LEAN, verb ?? '') ? LEAN[verb] : undefined;
  const main = join(dir, lean ? `${lean}-main.js` : 'main.js');
  if (process.env.ORZO_CLI_BUNDLE === '0') return main;
  try {
    const name = lean ? `orzo-${lean}` : 'orzo';
    const bundle = join(dir, `${name}.bundle.js`);
    const made = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(dir, `${name}.bundle.inputs.json`), 'utf8'));
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

require(entry(process.argv[2]))
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
