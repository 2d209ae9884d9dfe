#!/usr/bin/env node
// npm run migration:create -- <service|platform> [label]
// Generates the next migration of a service (or of the platform's own tables) for PostgreSQL
// and SQLite with MikroORM's migrator, from the compiled entities (npm run migration:create
// builds first). Each dialect gets its file, its snapshot and its index.ts under
// <owner>/src/.../migrations/{postgresql,sqlite}; review them, then rebuild and commit.
// Scratch databases: a temp SQLite file, and a throwaway schema on ORZO_TEST_PG_URL
// (default postgres://postgres@127.0.0.1:5432/test).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const [ownerName, label] = process.argv.slice(2);
if (!ownerName) {
  console.error('usage: npm run migration:create -- <service|platform> [label]');
  process.exit(2);
}
const persistence = await import(join(root, 'libs/persistence/dist/src/index.js'));
const scratch = { postgresUrl: process.env.ORZO_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' };
const platform = { name: 'platform', dir: join(root, 'libs/persistence/src/migrations'), persistence: {}, importFrom: '@mikro-orm/migrations' };

let owner = platform;
if (ownerName !== 'platform') {
  const definitionFile = join(root, 'services', ownerName, 'dist/src/definition.js');
  if (!existsSync(definitionFile)) {
    console.error(`no service ${ownerName}: ${definitionFile} does not exist (is it built?)`);
    process.exit(2);
  }
  const definition = Object.values(await import(definitionFile)).find((d) => d?.service === ownerName && d.persistence);
  if (!definition) {
    console.error(`${definitionFile} exports no orzoService definition of ${ownerName}`);
    process.exit(2);
  }
  // A change to the platform's tables is the platform's migration, not every service's.
  for (const dialect of persistence.DIALECTS) {
    const drift = await persistence.schemaDrift(dialect, {}, scratch);
    if (drift) {
      console.error(`the platform's entities differ from its migrations on ${dialect}; run npm run migration:create -- platform first:\n${drift}`);
      process.exit(1);
    }
  }
  owner = {
    name: ownerName,
    dir: join(root, 'services', ownerName, 'src/persistence/migrations'),
    persistence: definition.persistence,
    importFrom: '@orzo/persistence',
  };
}

const results = await persistence.createMigrations(owner, scratch, label);
const written = [];
for (const r of results) {
  if (!r.file) {
    console.log(`${owner.name} on ${r.dialect}: entities match the migrations, nothing to generate`);
    continue;
  }
  console.log(`${owner.name} on ${r.dialect}: wrote ${r.file}\n  ${r.up.join('\n  ')}`);
  written.push(r.file, join(r.file, '..', 'index.ts'), join(r.file, '..', 'snapshot.json'));
}
if (written.length) {
  const fmt = spawnSync('npx', ['prettier', '--write', ...written], { cwd: root, stdio: 'inherit' });
  if (fmt.status !== 0) process.exit(fmt.status ?? 1);
  if (owner !== platform && !owner.persistence.dialectMigrations)
    console.warn(
      `${owner.name}'s definition does not pass dialectMigrations yet, so these would never run: export DIALECT_MIGRATIONS from src/persistence/migrations/index.ts (as builder does) and add dialectMigrations: DIALECT_MIGRATIONS to its orzoService definition`,
    );
}
