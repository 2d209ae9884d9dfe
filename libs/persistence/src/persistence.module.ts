import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { IDEMPOTENCY_STORE } from '@orzo/bus';
import { HealthRegistry } from '@orzo/platform';
import { Database, DatabaseOptions } from './database';
import { ProcessedEventStore } from './processed-event.store';

export const DATABASE_OPTIONS = Symbol('orzo:database-options');

/** Holds the service's Database; opening checks the schema is migrated, never migrates. */
@Injectable()
export class DatabaseHolder implements OnModuleInit, OnApplicationShutdown {
  private db?: Database;

  constructor(
    @Inject(DATABASE_OPTIONS) private readonly options: DatabaseOptions,
    private readonly health: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.db = await Database.open(this.options);
    try {
      await this.db.assertMigrated();
    } catch (err) {
      await this.db.close();
      throw err;
    }
    this.health.register('database', async () => {
      await this.database.ping();
      return { ok: true, detail: this.database.target.kind };
    });
  }

  get database(): Database {
    if (!this.db) throw new Error('database not open yet');
    return this.db;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db?.close();
  }
}

@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        { provide: DATABASE_OPTIONS, useValue: options },
        DatabaseHolder,
        { provide: ProcessedEventStore, useFactory: (h: DatabaseHolder) => new ProcessedEventStore(lazyDatabase(h)), inject: [DatabaseHolder] },
        { provide: IDEMPOTENCY_STORE, useExisting: ProcessedEventStore },
      ],
      exports: [DatabaseHolder, ProcessedEventStore, IDEMPOTENCY_STORE],
    };
  }
}

/** The store is built before the holder opens the database; resolve it on use. */
function lazyDatabase(holder: DatabaseHolder): Database {
  return new Proxy({} as Database, { get: (_t, prop) => Reflect.get(holder.database, prop, holder.database) as unknown });
}
