import { resolve } from 'node:path';
import { formatProblem } from './problems';
import { CompiledService, loadSoaConfigs } from './soa-configs';
import { SystemConfig, loadSystemConfig } from './system-config';

export type ServiceLookup =
  | { ok: true; service: CompiledService }
  /** notFound: no such service; otherwise its configs have errors. */
  | { ok: false; notFound: boolean; message: string };

/**
 * Reads one service from the soa-configs tree, fresh on every call (git is the source of
 * truth). What control-api, builder and jenkins-hook use to check a service they are told about.
 */
export class SoaServiceReader {
  readonly system: SystemConfig;

  constructor(options: { configFile?: string; soaDir?: string; system?: SystemConfig } = {}) {
    this.system =
      options.system ??
      loadSystemConfig({ file: options.configFile, env: { ...process.env, ...(options.soaDir ? { ORZO_SOA_DIR: options.soaDir } : {}) } }).config;
  }

  /** The registry of a service's images: its docker_registry, else the system registry ('' = none). */
  registryOf(service: Pick<CompiledService, 'dockerRegistry'>): string {
    return service.dockerRegistry ?? this.system.registry;
  }

  lookup(name: string): ServiceLookup {
    const result = loadSoaConfigs({ service: name, system: this.system });
    const service = result.services[0];
    if (service) return { ok: true, service };
    const errors = result.problems.filter((p) => p.severity === 'error');
    const unknown = errors.filter((p) => p.message.startsWith(`unknown service ${name}`));
    if (unknown.length) return { ok: false, notFound: true, message: unknown.map((p) => `${p.message}${p.hint ? ` (${p.hint})` : ''}`).join('; ') };
    return {
      ok: false,
      notFound: false,
      message: `soa-configs of ${name} have errors (run orzo validate -s ${name}): ${errors.slice(0, 5).map(formatProblem).join(' | ')}`,
    };
  }
}

/**
 * The repository of a service as its service.yaml names it: a URL (scheme:// or user@host:path)
 * or an absolute path as is; a relative path is relative to the service's soa-configs directory.
 */
export function repositoryOf(service: Pick<CompiledService, 'dir' | 'gitUrl'>): string {
  const url = service.gitUrl ?? '';
  if (!url) return '';
  return /^[a-z][a-z0-9+.-]*:\/\/|^[^/]+@[^/]+:/i.test(url) || url.startsWith('/') ? url : resolve(service.dir, url);
}
