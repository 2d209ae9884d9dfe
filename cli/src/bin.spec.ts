import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const BIN = join(__dirname, '..', '..', 'bin', 'orzo.js');
const BUNDLE = join(__dirname, 'orzo-api.bundle.js');
const CACHE = `${BUNDLE}.v8-cache`;
const orzo = (...args: string[]) => execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ORZO_CLI_BUNDLE: '' } });
/** What a cache of the bundle as built now starts with. */
const stamp = () => {
  const made = statSync(BUNDLE);
  return `${made.mtimeMs}:${made.size}:${process.version}\n`;
};

// The bundles exist after `npm run build` (scripts/bundle-cli.mjs); a plain `tsc -b` has none to cache.
describe('cli/bin/orzo.js: the V8 code cache of a bundle', { skip: !existsSync(BUNDLE) && 'no bundle built' }, () => {
  it('is written after a run, stamped with the bundle it was made from, and a run from it answers the same', () => {
    rmSync(CACHE, { force: true });
    const first = orzo('status', '--help');
    assert.match(first, /Usage: orzo status/);
    assert.ok(readFileSync(CACHE).subarray(0, stamp().length).equals(Buffer.from(stamp())), 'the cache names the bundle');
    assert.equal(orzo('status', '--help'), first);
  });

  it('is only used for a bundle without a dynamic import() (a vm.Script needs an experimental loader for one)', () => {
    assert.doesNotMatch(readFileSync(BUNDLE, 'utf8'), /\bimport\(/);
  });

  it('is not used when it was made from another bundle (V8 checks only the length): it is made again', () => {
    const size = readFileSync(BUNDLE).length;
    writeFileSync(CACHE, Buffer.concat([Buffer.from(`1:${size}:${process.version}\n`), Buffer.alloc(1024, 7)]));
    assert.match(orzo('status', '--help'), /Usage: orzo status/);
    assert.ok(readFileSync(CACHE).subarray(0, stamp().length).equals(Buffer.from(stamp())), 'written again for this bundle');
  });
});
