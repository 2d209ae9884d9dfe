import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, DatabaseOptions } from './database';
import type { DatabaseTarget } from './database-url';

export type Dialect = DatabaseTarget['kind'];
export const DIALECTS: readonly Dialect[] = ['postgresql', 'sqlite'];

/** Whose tables a migration changes: the platform's (every service database) or one service's. */
export interface MigrationOwner {
  /** 'platform' or the service name; names the migration and the PostgreSQL schema in the snapshot. */
  name: string;
  /** The folder holding postgresql/ and sqlite/ (each: migrations, index.ts, snapshot.json). */
  dir: string;
  /** What the migrations and the entities are: the service's, or none for the platform. */
  persistence: Pick<DatabaseOptions, 'entities' | 'migrations' | 'dialectMigrations'>;
  /** Where generated files import Migration / MigrationObject from. */
  importFrom: string;
}

export interface ScratchDatabases {
  /** PostgreSQL URL; each run uses a schema of its own and drops it. */
  postgresUrl: string;
}

export interface GeneratedMigration {
  dialect: Dialect;
  /** The file written, or undefined when the entities already match the migrated schema. */
  file?: string;
  up: string[];
}

/**
 * Migrates a scratch database of `dialect` with every migration of `persistence` and returns
 * the SQL MikroORM's schema generator would still run to match the entities ('' = none).
 */
export async function schemaDrift(dialect: Dialect, persistence: MigrationOwner['persistence'], scratch: ScratchDatabases): Promise<string> {
  return withScratch(dialect, scratch, async (url, schema) => {
    const db = await Database.open({ url, schema, ...persistence });
    try {
      await db.migrate();
      // Only this schema: the shared PostgreSQL database holds other services' and tests' schemas.
      const only = dialect === 'postgresql' ? { schema } : {};
      return (await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, ...only })).trim();
    } finally {
      await db.close();
    }
  });
}

/**
 * Generates the next migration of `owner` for each dialect with MikroORM's migrator: a scratch
 * database is migrated to the head (which also refreshes the dialect's snapshot from it), then
 * the migrator diffs the entities against that snapshot and writes the migration, the new
 * snapshot, and the dialect's index.ts that lists the migrations for Database.open.
 */
export async function createMigrations(owner: MigrationOwner, scratch: ScratchDatabases, label = owner.name, now = new Date()): Promise<GeneratedMigration[]> {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const words = label.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const className = `M${stamp}${words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;
  const fileBase = `m${stamp}-${words.join('-').toLowerCase()}`;
  const results: GeneratedMigration[] = [];
  for (const dialect of DIALECTS) {
    const dir = join(owner.dir, dialect);
    mkdirSync(dir, { recursive: true });
    const snapshotFile = join(dir, 'snapshot.json');
    const previousSnapshot = existsSync(snapshotFile) ? readFileSync(snapshotFile, 'utf8') : undefined;
    const result = await withScratch(dialect, scratch, async (url, schema) => {
      const db = await Database.open({
        url,
        schema,
        ...owner.persistence,
        migrator: { path: dir, emit: 'ts', snapshot: true, snapshotName: 'snapshot', fileName: () => fileBase },
      });
      try {
        await db.migrate();
        const created = await db.orm.getMigrator().createMigration(dir, false, false, label);
        if (!created.fileName) return { dialect, up: [] };
        const file = join(dir, created.fileName);
        writeFileSync(file, rewriteMigration(readFileSync(file, 'utf8'), className, owner, schema));
        // The scratch schema's name would change the snapshot at every run: name the service's.
        writeFileSync(snapshotFile, readFileSync(snapshotFile, 'utf8').replaceAll(`"${schema}"`, `"${snapshotSchema(owner)}"`));
        return { dialect, file, up: created.diff.up.filter(Boolean).map((sql) => unqualified(sql, schema)) };
      } finally {
        await db.close();
      }
    });
    if (result.file) writeIndex(dir, owner);
    else if (previousSnapshot === undefined) rmSync(snapshotFile, { force: true });
    // Migrating the scratch database rewrote the snapshot from it; nothing changed, so keep the committed one.
    else writeFileSync(snapshotFile, previousSnapshot);
    results.push(result);
  }
  return results;
}

/** The schema name a generated PostgreSQL snapshot names: the service's production schema. */
function snapshotSchema(owner: MigrationOwner): string {
  return `orzo_${owner.name.replace(/-/g, '_')}`;
}

async function withScratch<T>(dialect: Dialect, scratch: ScratchDatabases, run: (url: string, schema: string) => Promise<T>): Promise<T> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'orzo-migration-'));
    try {
      return await run(`sqlite://${join(dir, 'scratch.db')}`, 'unused');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `orzo_scratch_${randomBytes(4).toString('hex')}`;
  try {
    return await run(scratch.postgresUrl, schema);
  } finally {
    const db = await Database.open({ url: scratch.postgresUrl, schema });
    try {
      await db.orm.em.getConnection().execute(`drop schema if exists "${schema}" cascade`);
    } finally {
      await db.close();
    }
  }
}

/**
 * Makes the migrator's file fit the codebase: the class named like the file, Migration
 * imported from `owner.importFrom`, and table names unqualified (the scratch schema is not
 * the service's; at run time the connection's search_path picks the schema).
 */
function rewriteMigration(code: string, className: string, owner: MigrationOwner, schema: string): string {
  return [
    `// Generated by \`npm run migration:create -- ${owner.name}\` (MikroORM's migrator); do not edit a migration that has run anywhere.`,
    unqualified(
      code
        .replace(/from '@mikro-orm\/migrations'/, `from '${owner.importFrom}'`)
        // The migrator names the class after the label as given, hyphens included (not an identifier).
        .replace(/export class \S+ extends Migration/, `export class ${className} extends Migration`),
      schema,
    ),
  ].join('\n');
}

function unqualified(sql: string, schema: string): string {
  return sql.replaceAll(`"${schema}".`, '');
}

/** Lists a dialect's generated migrations, oldest first, as Database.open takes them. */
function writeIndex(dir: string, owner: MigrationOwner): void {
  const files = readdirSync(dir)
    .filter((f) => /^m\d{14}-.*\.ts$/.test(f))
    .sort();
  const entries = files.map((f) => {
    const name = /export class (\w+) extends Migration/.exec(readFileSync(join(dir, f), 'utf8'))?.[1];
    if (!name) throw new Error(`${join(dir, f)} declares no Migration class`);
    return { name, module: `./${f.replace(/\.ts$/, '')}` };
  });
  writeFileSync(join(dir, 'index.ts'), indexSource(owner.importFrom, entries));
}

export function indexSource(importFrom: string, entries: Array<{ name: string; module: string }>): string {
  return [
    '// Generated by `npm run migration:create`: the migrations of this dialect, oldest first.',
    `import type { MigrationObject } from '${importFrom === '@mikro-orm/migrations' ? '@mikro-orm/core' : importFrom}';`,
    ...entries.map((e) => `import { ${e.name} } from '${e.module}';`),
    '',
    `export const MIGRATIONS: MigrationObject[] = [${entries.map((e) => `{ name: '${e.name}', class: ${e.name} }`).join(', ')}];`,
    '',
  ].join('\n');
}
