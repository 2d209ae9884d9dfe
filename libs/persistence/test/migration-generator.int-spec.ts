import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EntitySchema } from '@mikro-orm/core';
import { testPostgresUrl } from '@orzo/testing';
import { DIALECTS, DialectMigrations, Migration, MigrationOwner, createMigrations, schemaDrift } from '../src';

/** The table as a hand-written baseline made it. */
class M20260101Probe extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table gen_probe (id varchar(20) not null primary key)');
  }
}

/** The entity, since grown a column and an index the baseline lacks. */
const ProbeSchema = new EntitySchema<{ id: string; label: string | null }>({
  name: 'GenProbe',
  tableName: 'gen_probe',
  properties: { id: { type: 'string', primary: true, length: 20 }, label: { type: 'string', length: 50, nullable: true } },
  indexes: [{ name: 'gen_probe_label', properties: ['label'] }],
});

/** What Database.open would import from the generated files, built from the SQL they hold. */
function migrationOf(up: string[]): new (...args: ConstructorParameters<typeof Migration>) => Migration {
  return class extends Migration {
    override async up(): Promise<void> {
      for (const sql of up) this.addSql(sql);
    }
  };
}

describe('npm run migration:create: MikroORM generates each dialect its migration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orzo-gen-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const scratch = { postgresUrl: testPostgresUrl() };
  const owner: MigrationOwner = {
    name: 'probe-service',
    dir,
    importFrom: '@orzo/persistence',
    persistence: { entities: [ProbeSchema], migrations: [{ name: 'M20260101Probe', class: M20260101Probe }] },
  };

  it('writes a migration, its snapshot and index per dialect; applied, nothing is left to generate', async () => {
    const before = await Promise.all(DIALECTS.map((d) => schemaDrift(d, owner.persistence, scratch)));
    assert.ok(
      before.every((sql) => /gen_probe_label/.test(sql)),
      'the entity is ahead of the baseline on both dialects',
    );

    const results = await createMigrations(owner, scratch, 'label', new Date('2026-11-30T10:11:12Z'));
    const generated: DialectMigrations = { postgresql: [], sqlite: [] };
    for (const r of results) {
      assert.equal(r.file, join(dir, r.dialect, 'm20261130101112-label.ts'));
      const code = readFileSync(r.file!, 'utf8');
      assert.match(code, /export class M20261130101112Label extends Migration/);
      assert.match(code, /from '@orzo\/persistence'/);
      assert.doesNotMatch(code, /orzo_scratch_/, 'table names are not qualified with the scratch schema');
      assert.match(readFileSync(join(dir, r.dialect, 'index.ts'), 'utf8'), /\{ name: 'M20261130101112Label', class: M20261130101112Label \}/);
      const snapshot = readFileSync(join(dir, r.dialect, 'snapshot.json'), 'utf8');
      assert.match(snapshot, /"label"/, 'the snapshot is the schema the entities describe');
      assert.doesNotMatch(snapshot, /orzo_scratch_/);
      generated[r.dialect] = [{ name: 'M20261130101112Label', class: migrationOf(r.up) }];
    }
    assert.match(results.find((r) => r.dialect === 'postgresql')!.up.join('\n'), /add column "label" varchar\(50\)/);

    const withGenerated = { ...owner, persistence: { ...owner.persistence, dialectMigrations: generated } };
    for (const dialect of DIALECTS) assert.equal(await schemaDrift(dialect, withGenerated.persistence, scratch), '', `${dialect}: migrated = entities`);
    const snapshots = DIALECTS.map((d) => readFileSync(join(dir, d, 'snapshot.json'), 'utf8'));
    const again = await createMigrations(withGenerated, scratch, 'again');
    assert.deepEqual(
      again.map((r) => r.file),
      [undefined, undefined],
      'no change, no migration',
    );
    assert.deepEqual(
      DIALECTS.map((d) => readFileSync(join(dir, d, 'snapshot.json'), 'utf8')),
      snapshots,
      'the committed snapshots stay as they were',
    );
    assert.equal(existsSync(join(dir, 'sqlite', 'm20261130101112-again.ts')), false);
  });
});
