// Bundles the built CLI (cli/dist/src/main.js and what it imports) into one file, so that
// `orzo <verb>` loads one script instead of ~400 modules: half the start-up CPU of an
// unbundled run. The verbs of api-commands.ts (status, mark-for-deployment) get a bundle of
// their own (cli/dist/src/api-main.js): only commander, grpc-js and control-api's client. cli/bin/orzo.js uses the bundle only while it is newer than every file of
// ours that went into it (listed beside it), so a `tsc -b` without this step never runs stale
// code: it falls back to the unbundled build.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'cli', 'dist', 'src');

/** One bundle of an entry of the built CLI, and beside it the list of our files that went into it. */
async function bundle(entry, name) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [`cli/dist/src/${entry}.js`],
    outfile: join(outDir, `${name}.bundle.js`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    metafile: true,
    // Loaded where a verb needs it (local-run's health check): it brings NestJS, which no other
    // verb needs and which has optional modules a bundler cannot resolve.
    external: ['@orzo/platform'],
    logLevel: 'warning',
  });
  const ours = Object.keys(result.metafile.inputs)
    .filter((p) => !p.includes('node_modules'))
    .map((p) => relative(outDir, join(root, p)));
  writeFileSync(join(outDir, `${name}.bundle.inputs.json`), JSON.stringify(ours) + '\n');
}

// Every verb; and `status` / `mark-for-deployment` alone (cli/src/api-main.ts), a third of the size.
await Promise.all([bundle('main', 'orzo'), bundle('api-main', 'orzo-api')]);
