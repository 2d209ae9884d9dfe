import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './platform';
import { freePort } from './ports';

export interface SoaCopy {
  /** The soa-configs directory (ORZO_SOA_DIR). */
  dir: string;
  service: string;
  proxyPort: number;
}

/**
 * A private copy of examples/soa-configs: the example service under its own name (so two
 * platforms on one Docker Engine never manage each other's containers) on a free proxy_port
 * (so two platform tests can run side by side), its git_url made absolute; `files` replaces
 * or adds files of the service's folder.
 */
export async function copySoaConfigs(options: { service?: string; proxyPort?: number; files?: Record<string, string> } = {}): Promise<SoaCopy> {
  const service = options.service ?? `hello-${Math.random().toString(36).slice(2, 8)}`;
  const proxyPort = options.proxyPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'orzo-soa-'));
  const target = join(dir, service);
  cpSync(join(REPO_ROOT, 'examples', 'soa-configs', 'hello'), target, { recursive: true });
  for (const file of readdirSync(target)) {
    const path = join(target, file);
    const text = readFileSync(path, 'utf8')
      .replace(/proxy_port: \d+/, `proxy_port: ${proxyPort}`)
      .replace(/\bhello\.main\b/g, `${service}.main`)
      .replace(/^git_url: .*$/m, `git_url: ${join(REPO_ROOT, 'examples', 'services', 'hello')}`);
    writeFileSync(path, text);
  }
  // `files` replaces or adds files of the service's folder (a test's own instance config).
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(target, name), text);
  return { dir, service, proxyPort };
}
