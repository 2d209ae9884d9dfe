import { join } from 'node:path';
import { SoaFile, listServiceFiles, listServices } from './tree';
import { YamlSource, readYaml } from './yaml-source';

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

export function loadService(soaDir: string, name: string): LoadedService {
  const dir = join(soaDir, name);
  const loaded: LoadedService = { name, dir, longRunning: [], jobs: [], adhoc: [], rollback: [] };
  for (const file of listServiceFiles(dir)) {
    const f: LoadedFile = { ...file, src: readYaml(file.path) };
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
