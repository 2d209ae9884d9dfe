import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DIALECTS, schemaDrift } from '@orzo/persistence';
import { testPostgresUrl } from '@orzo/testing';
import { DefinedService, serviceDefinitions } from './service-definitions';

// An entity changed without its migration shows up here, before any database runs the code:
// each service's migrations, applied to a fresh database of each dialect, must leave nothing
// for MikroORM's schema generator to do.

describe('every service database: the migrations build exactly the schema the entities describe', () => {
  let services: DefinedService[] = [];
  before(async () => {
    services = await serviceDefinitions();
  });

  it('finds every service definition', () => {
    const names = services.map((s) => s.service);
    for (const known of ['builder', 'control-api', 'discovery-publisher', 'jenkins-hook', 'monitor-bridge', 'scheduler-bridge'])
      assert.ok(names.includes(known), `${known} is missing from ${names.join(', ')}`);
  });

  for (const dialect of DIALECTS) {
    it(`on ${dialect}: no service needs a migration it does not have`, async () => {
      const owners = [{ service: 'the platform (orzo_* tables)', persistence: {} }, ...services];
      const behind: string[] = [];
      for (const owner of owners) {
        const sql = await schemaDrift(dialect, owner.persistence, { postgresUrl: testPostgresUrl() });
        if (sql)
          behind.push(
            `${owner.service} on ${dialect} needs (npm run migration:create -- ${owner.service.startsWith('the platform') ? 'platform' : owner.service}):\n${sql}`,
          );
      }
      assert.equal(behind.join('\n\n'), '', 'entities changed without a migration');
    });
  }
});
