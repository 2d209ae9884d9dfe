import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The PostgreSQL the machine runs (trust auth, database `test`); override with ORZO_TEST_PG_URL. */
export function testPostgresUrl(): string {
  return process.env.ORZO_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** A schema name no other test uses, so tests on the shared database stay isolated. */
export function uniqueSchema(prefix = 'orzo_test'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export function tempSqliteUrl(name = 'test'): string {
  return `sqlite://${join(mkdtempSync(join(tmpdir(), 'orzo-db-')), `${name}.db`)}`;
}

/** Both databases Orzo supports, for tests that must pass on each. */
export function databaseMatrix(): Array<{ name: 'sqlite' | 'postgresql'; url: () => string; schema: string }> {
  return [
    { name: 'sqlite', url: () => tempSqliteUrl(), schema: 'unused' },
    { name: 'postgresql', url: testPostgresUrl, schema: uniqueSchema() },
  ];
}
