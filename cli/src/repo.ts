import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The Orzo checkout this CLI runs from (the folder whose package.json is named "orzo"). */
export function repoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'orzo') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('not inside an Orzo checkout: no package.json named "orzo" above this CLI');
    dir = up;
  }
}

export function cliVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

export function serviceMain(service: string): string {
  return join(repoRoot(), 'services', service, 'dist', 'src', 'main.js');
}
