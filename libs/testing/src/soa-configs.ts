import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './platform';

/**
 * A private copy of examples/soa-configs whose HAProxy frontends listen on the given proxy
 * port (the example has one registration, hello.main), so platform tests can run side by side
 * without colliding on 20001. A relative git_url keeps pointing at the example's source.
 * Returns the directory, for ORZO_SOA_DIR.
 */
export function copySoaConfigs(options: { proxyPort: number }): string {
  const source = join(REPO_ROOT, 'examples', 'soa-configs');
  const dir = mkdtempSync(join(tmpdir(), 'orzo-soa-'));
  cpSync(source, dir, { recursive: true });
  for (const service of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const rewrite = (file: string, edit: (text: string) => string) => {
      const path = join(dir, service.name, file);
      try {
        writeFileSync(path, edit(readFileSync(path, 'utf8')));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    };
    rewrite('smartstack.yaml', (t) => t.replace(/proxy_port:\s*\d+/g, `proxy_port: ${options.proxyPort}`));
    rewrite('service.yaml', (t) => t.replace(/^git_url:\s*(\.\.?\/\S+)\s*$/m, (_, rel: string) => `git_url: ${resolve(source, service.name, rel)}`));
  }
  return dir;
}
