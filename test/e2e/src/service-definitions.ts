import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationOwner } from '@orzo/persistence';
import { REPO_ROOT } from '@orzo/testing';

/** A built service's definition, as far as its database goes. */
export interface DefinedService {
  service: string;
  persistence: MigrationOwner['persistence'];
}

/**
 * Every orzoService definition with a database under services/ (their compiled definition.js):
 * loaded by path, as the platform tests run the built binaries, because no project may import a
 * service. A service without persistence (the dashboard: control-api holds its state) is left out.
 */
export async function serviceDefinitions(): Promise<DefinedService[]> {
  const found: DefinedService[] = [];
  for (const dir of readdirSync(join(REPO_ROOT, 'services')).sort()) {
    const file = join(REPO_ROOT, 'services', dir, 'dist', 'src', 'definition.js');
    if (!existsSync(file)) throw new Error(`${file} is missing: build the workspace first (npm run build)`);
    const exports = (await import(file)) as Record<string, unknown>;
    const definition = Object.values(exports).find((d): d is DefinedService => typeof d === 'object' && d !== null && (d as DefinedService).service === dir);
    if (!definition) throw new Error(`${file} exports no orzoService definition of ${dir}`);
    if (definition.persistence) found.push(definition);
  }
  return found;
}
