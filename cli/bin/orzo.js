#!/usr/bin/env node
'use strict';
const { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

// Verbs with a bundle of their own (cli/src/api-main.ts): they load only what they need.
const LEAN = { status: 'api', 'mark-for-deployment': 'api' };

// The bundle (scripts/bundle-cli.mjs) when it is newer than every source file of ours it was
// made from; else the plain build, so a stale bundle never runs. `status` and
// `mark-for-deployment` as the first argument run the smaller bundle of their verbs.
function entry(verb) {
  const dir = join(__dirname, '..', 'dist', 'src');
  const lean = Object.hasOwn(LEAN, verb ?? '') ? LEAN[verb] : undefined;
  const main = join(dir, lean ? `${lean}-main.js` : 'main.js');
  if (process.env.ORZO_CLI_BUNDLE === '0') return { file: main };
  try {
    const name = lean ? `orzo-${lean}` : 'orzo';
    const bundle = join(dir, `${name}.bundle.js`);
    const made = statSync(bundle);
    const inputs = JSON.parse(readFileSync(join(dir, `${name}.bundle.inputs.json`), 'utf8'));
    if (!inputs.every((f) => statSync(join(dir, f)).mtimeMs <= made.mtimeMs)) return { file: main };
    // The lean bundle loads through a code cache; the whole CLI's has a dynamic import() (of
    // @orzo/platform), which a vm.Script runs only with node's experimental module loader.
    return lean ? { file: bundle, made } : { file: bundle };
  } catch {
    return { file: main };
  }
}

/**
 * Loads a bundle (one without a dynamic import()) with V8's code cache kept beside it (`<bundle>.v8-cache`): the compiled code
 * of what the last run executed, so a run neither parses nor compiles it again (a third to a
 * half of the bundle's load). The cache names the bundle it was made from (its mtime and size:
 * V8 itself only checks the source's length) and the node version; any other is ignored and
 * made again once the command ran. `ORZO_CLI_CODE_CACHE=0` loads the bundle with plain require.
 * Returns the module's exports and a function writing the cache when it should be (re)written.
 */
function loadBundle(file, made) {
  if (process.env.ORZO_CLI_CODE_CACHE === '0') return { exports: require(file), save: () => undefined };
  const cacheFile = `${file}.v8-cache`;
  const stamp = Buffer.from(`${made.mtimeMs}:${made.size}:${process.version}\n`);
  let cachedData;
  try {
    const cache = readFileSync(cacheFile);
    if (cache.subarray(0, stamp.length).equals(stamp)) cachedData = cache.subarray(stamp.length);
  } catch {
    // none yet, or not readable: compiled from the source, and written after the run
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  require.cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  const save = () => {
    if (cachedData && !script.cachedDataRejected) return;
    // Written aside and renamed: a run reading it meanwhile sees the old cache or the new one.
    const tmp = `${cacheFile}.${process.pid}`;
    try {
      writeFileSync(tmp, Buffer.concat([stamp, script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // A read-only install: no cache, the bundle is compiled every time.
      try {
        unlinkSync(tmp);
      } catch {
        // nothing written
      }
    }
  };
  return { exports: mod.exports, save };
}

// `orzo ... | head`: a reader that went away is not an error of ours.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { file, made } = entry(process.argv[2]);
const loaded = made ? loadBundle(file, made) : { exports: require(file), save: () => undefined };
loaded.exports.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // After the run: the cache then holds what the command executed, not only the bundle's top level.
  loaded.save();
});
