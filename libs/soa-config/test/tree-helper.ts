import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigProblem, SoaConfigsResult, SystemConfig, formatProblem, loadSoaConfigs, loadSystemConfig } from '../src';

/** Writes a soa-configs tree ({"svc/file.yaml": text}) to a temp dir. */
export function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orzo-soa-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

export function system(clusters: string[] = ['local'], defaults: Record<string, unknown> = {}): SystemConfig {
  const env = { ORZO_CLUSTERS: clusters.join(',') };
  return { ...loadSystemConfig({ env, cwd: tmpdir() }).config, defaults };
}

export function load(
  files: Record<string, string>,
  options: { clusters?: string[]; service?: string; defaults?: Record<string, unknown> } = {},
): SoaConfigsResult {
  return loadSoaConfigs({ soaDir: writeTree(files), service: options.service, system: system(options.clusters, options.defaults) });
}

export function errors(r: SoaConfigsResult): ConfigProblem[] {
  return r.problems.filter((p) => p.severity === 'error');
}

export function describe(r: SoaConfigsResult): string {
  return r.problems.map(formatProblem).join('\n');
}

/** A valid minimal service, to add one broken file to. */
export const MINIMAL: Record<string, string> = {
  'web/service.yaml': 'description: web\n',
  'web/deploy.yaml': 'pipeline:\n  - step: local.main\n',
  'web/monitoring.yaml': 'team: infra\n',
  'web/smartstack.yaml': 'main:\n  proxy_port: 20001\n',
  'web/kubernetes-local.yaml': 'main:\n  instances: 2\n',
};
