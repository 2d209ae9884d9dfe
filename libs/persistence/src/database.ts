import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MigrationObject, MikroORM, Options } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { EntityManager as SqlEntityManager } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { DatabaseTarget, parseDatabaseUrl } from './database-url';
import { PLATFORM_MIGRATIONS } from './migrations';
import { ProcessedEventSchema } from './processed-event.entity';

export interface DatabaseOptions {
  url: string;
  /** PostgreSQL schema that holds this service's tables (ignored for SQLite). */
  schema: string;
  /** EntitySchema instances or entity classes of the service. */
  entities?: readonly unknown[];
  /** The service's own migrations, run after the platform's. */
  migrations?: MigrationObject[];
  debug?: boolean;
  /** Where MikroORM's own messages (migrator progress, debug queries) go; default nowhere. */
  log?: (message: string) => void;
}

export class PendingMigrationsError extends Error {
  constructor(readonly pending: string[]) {
    super(`the database schema is behind: ${pending.length} pending migration(s) (${pending.join(', ')}); run the migrate step first (npm run migrate)`);
    this.name = 'PendingMigrationsError';
  }
}

/**
 * One service's database through MikroORM: PostgreSQL (one schema per service) or an
 * SQLite file. Opening never changes the schema; `migrate()` is the explicit step.
 */
export class Database {
  private constructor(
    readonly orm: MikroORM,
    readonly target: DatabaseTarget,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const target = parseDatabaseUrl(options.url, options.schema);
    const common: Partial<Options> = {
      entities: [ProcessedEventSchema, ...(options.entities ?? [])] as Options['entities'],
      debug: options.debug ?? false,
      logger: options.log ?? (() => undefined),
      allowGlobalContext: false,
      discovery: { warnWhenNoEntities: false },
      extensions: [Migrator],
      migrations: {
        migrationsList: [...PLATFORM_MIGRATIONS, ...(options.migrations ?? [])],
        tableName: 'orzo_migrations',
        transactional: true,
        allOrNothing: true,
        snapshot: false,
      },
    };
    let orm: MikroORM;
    if (target.kind === 'sqlite') {
      mkdirSync(dirname(target.path), { recursive: true });
      orm = await MikroORM.init({ ...common, driver: BetterSqliteDriver, dbName: target.path } as Options);
      const conn = orm.em.getConnection();
      await conn.execute('pragma journal_mode = WAL');
      await conn.execute('pragma busy_timeout = 5000');
      await conn.execute('pragma synchronous = NORMAL');
    } else {
      orm = await MikroORM.init({
        ...common,
        driver: PostgreSqlDriver,
        clientUrl: target.url,
        schema: target.schema,
        driverOptions: { connection: { options: `-c search_path=${target.schema}` } },
      } as Options);
    }
    return new Database(orm, target);
  }

  /** A fresh entity manager for a unit of work outside any request. */
  em(): SqlEntityManager {
    return this.orm.em.fork() as SqlEntityManager;
  }

  async migrate(): Promise<string[]> {
    if (this.target.kind === 'postgresql') await this.orm.em.getConnection().execute(`create schema if not exists "${this.target.schema}"`);
    const done = await this.orm.getMigrator().up();
    return done.map((m) => m.name);
  }

  async pendingMigrations(): Promise<string[]> {
    if (this.target.kind === 'postgresql') {
      const rows = await this.orm.em
        .getConnection()
        .execute<{ n: number }[]>('select count(*)::int as n from information_schema.schemata where schema_name = ?', [this.target.schema]);
      if (!rows[0]?.n) return [...(await this.orm.getMigrator().getPendingMigrations()).map((m) => m.name)];
    }
    return (await this.orm.getMigrator().getPendingMigrations()).map((m) => m.name);
  }

  /** Throws PendingMigrationsError when the schema is behind the code. */
  async assertMigrated(): Promise<void> {
    const pending = await this.pendingMigrations();
    if (pending.length > 0) throw new PendingMigrationsError(pending);
  }

  async ping(): Promise<void> {
    await this.orm.em.getConnection().execute('select 1');
  }

  async close(): Promise<void> {
    await this.orm.close(true);
  }
}
