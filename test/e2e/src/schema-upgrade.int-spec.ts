import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Database, DIALECTS, PLATFORM_MIGRATIONS } from '@orzo/persistence';
import { tempSqliteUrl, testPostgresUrl, uniqueSchema } from '@orzo/testing';
import { DefinedService, serviceDefinitions } from './service-definitions';

interface BaselineRow {
  table: string;
  sql: string;
  /** Properties of the entity the row must read back as, after the migration. */
  expect: Record<string, unknown>;
}

/**
 * Rows as databases hold them today, written against the hand-written baseline migrations
 * (frozen: the schema they create never changes, so neither do these statements).
 */
const BASELINE_ROWS: Record<string, BaselineRow[]> = {
  builder: [
    {
      table: 'builder_build',
      sql: `insert into builder_build (id, service, commit_sha, git_url, dockerfile, context, build_args, force, skip_pipeline, requested_by, correlation_id, image, state, follows, step, error, log_tail, image_id, digest, result_event_id, result_published, created_at, started_at, finished_at)
            values ('b-1', 'web', 'abc1234', '/repo', 'Dockerfile', '.', '{"A":"1"}', 0, 1, 'alice', 'c-1', 'registry/services-web:orzo-abc1234', 'succeeded', null, null, null, '[]', 'sha256:1', 'sha256:2', 'e-1', 1, '2026-11-25T10:00:00.000Z', '2026-11-25T10:00:01.000Z', '2026-11-25T10:00:09.000Z')`,
      expect: {
        id: 'b-1',
        commitSha: 'abc1234',
        buildArgs: '{"A":"1"}',
        force: 0,
        skipPipeline: 1,
        imageId: 'sha256:1',
        follows: null,
        finishedAt: '2026-11-25T10:00:09.000Z',
      },
    },
  ],
  'jenkins-hook': [
    {
      table: 'hook_delivery',
      sql: `insert into hook_delivery (key, service, job, build_number, phase, status, action, event_id, received_at, detail)
            values ('jenkins:services-web#7:FINALIZED', 'web', 'services-web', 7, 'FINALIZED', 'SUCCESS', 'build-requested', 'e-2', '2026-11-25T10:00:00.000Z', 'detail')`,
      expect: { key: 'jenkins:services-web#7:FINALIZED', buildNumber: 7, eventId: 'e-2', receivedAt: '2026-11-25T10:00:00.000Z' },
    },
  ],
  'scheduler-bridge': [
    {
      table: 'sched_desired_instance',
      sql: `insert into sched_desired_instance (instance_key, deploy_id, spec, completed_deploy_id, updated_at) values ('web/local/main', 'd-1', '{"service":"web"}', 'd-1', '2026-11-25T10:00:00.000Z')`,
      expect: { instanceKey: 'web/local/main', deployId: 'd-1', completedDeployId: 'd-1' },
    },
  ],
  'monitor-bridge': [
    {
      table: 'monitor_spec',
      sql: `insert into monitor_spec (instance_key, healthcheck) values ('web/local/main', '{"mode":"http"}')`,
      expect: { instanceKey: 'web/local/main', healthcheck: '{"mode":"http"}' },
    },
    {
      table: 'monitor_replica',
      sql: `insert into monitor_replica (replica_id, replica, registrations) values ('r-1', '{"replicaId":"r-1"}', '["web.main"]')`,
      expect: { replicaId: 'r-1', registrations: '["web.main"]' },
    },
  ],
};
const PLATFORM_ROW: BaselineRow = {
  table: 'orzo_processed_event',
  sql: `insert into orzo_processed_event (consumer, event_id, subject, processed_at) values ('c', 'e-9', 'orzo.build.requested.v1', '2026-11-25T10:00:00.000Z')`,
  expect: { consumer: 'c', eventId: 'e-9', processedAt: '2026-11-25T10:00:00.000Z' },
};

// A database made by the migrations of before (the baseline) must reach the head without losing
// a row: every row written at the baseline is read back through the entities afterwards.
describe('existing service databases migrate forward with their rows', () => {
  let services: DefinedService[] = [];
  before(async () => {
    services = await serviceDefinitions();
  });

  for (const dialect of DIALECTS) {
    describe(`on ${dialect}`, () => {
      const schemas: string[] = [];
      after(async () => {
        if (dialect !== 'postgresql' || schemas.length === 0) return;
        const db = await Database.open({ url: testPostgresUrl(), schema: 'public' });
        for (const s of schemas) await db.orm.em.getConnection().execute(`drop schema if exists "${s}" cascade`);
        await db.close();
      });

      it('keeps every row of the platform and of every service', async () => {
        const checked: string[] = [];
        for (const def of services) {
          const rows = BASELINE_ROWS[def.service];
          if (!rows) continue;
          const url = dialect === 'sqlite' ? tempSqliteUrl(def.service) : testPostgresUrl();
          const schema = uniqueSchema('orzo_upgrade');
          schemas.push(schema);
          const old = await Database.open({ url, schema, migrator: { migrationsList: [...PLATFORM_MIGRATIONS, ...(def.persistence.migrations ?? [])] } });
          try {
            await old.migrate();
            for (const row of [PLATFORM_ROW, ...rows]) await old.orm.em.getConnection().execute(row.sql);
          } finally {
            await old.close();
          }

          const db = await Database.open({ url, schema, ...def.persistence });
          try {
            await db.migrate();
            await db.assertMigrated();
            for (const row of [PLATFORM_ROW, ...rows]) {
              const entity = Object.values(db.orm.getMetadata().getAll()).find((m) => m.tableName === row.table);
              assert.ok(entity, `${def.service}: no entity maps ${row.table}`);
              const found = (await db.em().find(entity.className, {})) as Array<Record<string, unknown>>;
              assert.equal(found.length, 1, `${def.service} on ${dialect}: the row of ${row.table} survived the migration`);
              assert.deepEqual(pick(found[0]!, Object.keys(row.expect)), row.expect, `${def.service} on ${dialect}: ${row.table} reads back unchanged`);
            }
            checked.push(def.service);
          } finally {
            await db.close();
          }
        }
        assert.deepEqual(checked.sort(), Object.keys(BASELINE_ROWS).sort(), 'every service with baseline rows was checked');
      });
    });
  }
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
