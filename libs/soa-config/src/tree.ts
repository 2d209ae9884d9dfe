import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What a file in a service's soa-configs directory declares. */
export type SoaFileKind = 'service' | 'deploy' | 'smartstack' | 'monitoring' | 'long-running' | 'job' | 'adhoc' | 'rollback';

export interface SoaFile {
  kind: SoaFileKind;
  path: string;
  /** For per-cluster files (kubernetes-, marathon-, eks-, tron-, chronos-, adhoc-<cluster>.yaml). */
  cluster?: string;
  /** The PaaSTA file family: kubernetes, marathon, eks, tron, chronos, adhoc. */
  flavor?: string;
}

const FIXED: Record<string, SoaFileKind> = {
  'service.yaml': 'service',
  'deploy.yaml': 'deploy',
  'smartstack.yaml': 'smartstack',
  'monitoring.yaml': 'monitoring',
};

const PER_CLUSTER: Record<string, SoaFileKind> = {
  kubernetes: 'long-running',
  marathon: 'long-running',
  eks: 'long-running',
  tron: 'job',
  chronos: 'job',
  adhoc: 'adhoc',
};

/** The kind of a soa-configs file from its name, or null for files Orzo does not read. */
export function classifyFile(name: string): Omit<SoaFile, 'path'> | null {
  const fixed = FIXED[name];
  if (fixed) return { kind: fixed };
  // PaaSTA validates every rollback*.yaml against its rollback schema.
  if (name.startsWith('rollback') && name.endsWith('.yaml')) return { kind: 'rollback' };
  const m = /^([a-z]+)-(.+)\.yaml$/.exec(name);
  if (!m) return null;
  const kind = PER_CLUSTER[m[1]!];
  return kind ? { kind, cluster: m[2]!, flavor: m[1]! } : null;
}

/** The soa-configs files of one service directory, in a stable order. */
export function listServiceFiles(serviceDir: string): SoaFile[] {
  return readdirSync(serviceDir)
    .sort()
    .flatMap((name) => {
      const c = classifyFile(name);
      return c ? [{ ...c, path: join(serviceDir, name) }] : [];
    });
}

/** Service names: the directories of a soa-configs tree (hidden ones skipped). */
export function listServices(soaDir: string): string[] {
  return readdirSync(soaDir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && statSync(join(soaDir, e.name)).isDirectory())))
    .map((e) => e.name)
    .sort();
}

/** Instance names of a per-cluster file: top-level keys, except `_` templates. */
export function instanceNames(data: unknown): string[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [];
  return Object.keys(data).filter((k) => !k.startsWith('_'));
}
