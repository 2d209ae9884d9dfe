import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { IDEMPOTENCY_STORE } from '@orzo/bus';
import { STREAMS } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger } from '@orzo/platform';
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

/**
 * How long a processed-event mark must be kept: as long as any stream keeps the event it
 * stands for (a replay can only deliver what the stream still holds), plus a day.
 */
export function processedEventRetentionMs(streams = STREAMS): number {
  return (Math.max(...streams.map((s) => s.maxAgeSeconds)) + 24 * 3600) * 1000;
}

/** Prunes processed-event marks no stream can redeliver any more: at boot, then hourly. */
@Injectable()
export class ProcessedEventPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: ProcessedEventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.pruneNow();
    this.timer = setInterval(() => void this.pruneNow(), 3600_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async pruneNow(now = Date.now()): Promise<number> {
    try {
      const n = await this.store.prune(new Date(now - processedEventRetentionMs()));
      if (n) this.logger.info({ pruned: n }, 'pruned processed-event marks older than every stream');
      return n;
    } catch (err) {
      this.logger.warn({ err }, 'pruning processed-event marks failed; retried in an hour');
      return 0;
    }
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
        ProcessedEventPruner,
      ],
      exports: [DatabaseHolder, ProcessedEventStore, IDEMPOTENCY_STORE, ProcessedEventPruner],
    };
  }
}

/** The store is built before the holder opens the database; resolve it on use. */
function lazyDatabase(holder: DatabaseHolder): Database {
  return new Proxy({} as Database, { get: (_t, prop) => Reflect.get(holder.database, prop, holder.database) as unknown });
}
