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

/**
 * The settings the e2e and chaos tests give the example's instances: small, health-checked
 * every second from 5 s on, taken out after two failed checks, drained in 1 s.
 */
export const TEST_INSTANCE_DEFAULTS: Readonly<Record<string, unknown>> = {
  cpus: 0.1,
  mem: 64,
  container_port: 8080,
  healthcheck_grace_period_seconds: 5,
  healthcheck_interval_seconds: 1,
  healthcheck_max_consecutive_failures: 2,
  deploy_group: 'local.main',
  drain_method_params: { delay: 1 },
};

/**
 * A kubernetes-<cluster>.yaml: `defaults` (TEST_INSTANCE_DEFAULTS unless given) as a
 * `_defaults` template merged into every instance (`<<: *defaults`), then each instance's
 * own keys, which win. Values are written in YAML's flow style (JSON), so strings with
 * quotes, pipes or `$` stay as they are.
 */
export function instancesYaml(
  instances: Record<string, Record<string, unknown>>,
  defaults: Readonly<Record<string, unknown>> = TEST_INSTANCE_DEFAULTS,
): string {
  const keys = (o: Readonly<Record<string, unknown>>) => Object.entries(o).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  return [
    '_defaults: &defaults',
    ...keys(defaults),
    ...Object.entries(instances).flatMap(([name, own]) => [`${name}:`, '  <<: *defaults', ...keys(own)]),
    '',
  ].join('\n');
}
