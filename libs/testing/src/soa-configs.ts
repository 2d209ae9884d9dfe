import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './platform';

export interface SoaConfigsCopy {
  /** The soa-configs root to give the platform (ORZO_SOA_DIR). */
  dir: string;
  /** The service's name (its folder), which names its images and containers. */
  service: string;
  proxyPort: number;
}

/**
 * A private copy of examples/soa-configs/hello under another service name and proxy port, so
 * platform-level tests can run side by side (each its own HAProxy frontend and containers).
 * `files` replaces or adds files of the service's folder.
 */
export function copySoaConfigs(options: { proxyPort: number; service?: string; files?: Record<string, string> }): SoaConfigsCopy {
  const service = options.service ?? 'hello';
  const dir = mkdtempSync(join(tmpdir(), 'orzo-soa-'));
  const target = join(dir, service);
  cpSync(join(REPO_ROOT, 'examples', 'soa-configs', 'hello'), target, { recursive: true });
  // Registrations name their service (`hello.main`): they follow the rename.
  for (const name of readdirSync(target)) {
    const path = join(target, name);
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replace(/\bhello\.main\b/g, `${service}.main`)
        .replace(/proxy_port: \d+/, `proxy_port: ${options.proxyPort}`),
    );
  }
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(target, name), text);
  return { dir, service, proxyPort: options.proxyPort };
}
