import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SoaFile, listServiceFiles, listServices } from './tree';
import { YamlSource, parseYaml, readYaml } from './yaml-source';

export interface LoadedFile extends SoaFile {
  src: YamlSource;
}

/** Every soa-configs file of one service, parsed (not yet validated). */
export interface LoadedService {
  name: string;
  dir: string;
  service?: LoadedFile;
  deploy?: LoadedFile;
  smartstack?: LoadedFile;
  monitoring?: LoadedFile;
  /** kubernetes-/marathon-/eks-<cluster>.yaml */
  longRunning: LoadedFile[];
  /** tron-/chronos-<cluster>.yaml */
  jobs: LoadedFile[];
  adhoc: LoadedFile[];
  /** rollback*.yaml (validated, not acted on). */
  rollback: LoadedFile[];
}

/** Reads and parses every soa-configs file of a service; `smartstack`: its smartstack.yaml already read (by `loadServiceMesh`). */
export function loadService(soaDir: string, name: string, smartstack?: LoadedFile): LoadedService {
  const dir = join(soaDir, name);
  const loaded: LoadedService = { name, dir, longRunning: [], jobs: [], adhoc: [], rollback: [] };
  for (const file of listServiceFiles(dir)) {
    const f: LoadedFile = smartstack && file.path === smartstack.path ? smartstack : { ...file, src: readYaml(file.path) };
    if (f.kind === 'long-running') loaded.longRunning.push(f);
    else if (f.kind === 'job') loaded.jobs.push(f);
    else if (f.kind === 'adhoc') loaded.adhoc.push(f);
    else if (f.kind === 'rollback') loaded.rollback.push(f);
    else loaded[f.kind] = f;
  }
  return loaded;
}

export function loadServices(soaDir: string): LoadedService[] {
  return listServices(soaDir).map((name) => loadService(soaDir, name));
}

/**
 * What the rules that span services read of another service: its name and its smartstack.yaml
 * (registrations, proxied_through, proxy port owners). Reads that one file; anything but its
 * absence (a directory of that name, a file it may not read) loads the service whole, as
 * `loadService` would, so the verdicts stay the same.
 */
export function loadServiceMesh(soaDir: string, name: string): LoadedService {
  const dir = join(soaDir, name);
  const path = join(dir, 'smartstack.yaml');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { name, dir, longRunning: [], jobs: [], adhoc: [], rollback: [] };
    return loadService(soaDir, name);
  }
  return { name, dir, smartstack: { kind: 'smartstack', path, src: parseYaml(path, text) }, longRunning: [], jobs: [], adhoc: [], rollback: [] };
}
