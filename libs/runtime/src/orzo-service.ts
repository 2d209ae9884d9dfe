import { DynamicModule, Module, Type } from '@nestjs/common';
import { BusModule } from '@orzo/bus';
import { Database, DatabaseOptions, MigrationObject, PersistenceModule } from '@orzo/persistence';
import { BaseConfig, ServiceConfig, ServiceContext, ServiceDefinition, baseConfigSchema, databaseSchema, databaseUrl } from '@orzo/platform';
import { z } from 'zod';

export interface OrzoServiceOptions<S extends z.ZodRawShape> {
  service: string;
  /** Default of ORZO_HTTP_PORT (/healthz, /metrics). */
  httpPort: number;
  /** The service's own variables, beside the base ones. */
  configShape?: S;
  /** The service's feature module (handlers, adapters, controllers). */
  module: (ctx: ServiceContext<ServiceConfig<S>>) => Type<unknown> | DynamicModule;
  entities?: DatabaseOptions['entities'];
  migrations?: MigrationObject[];
}

/**
 * The standard shape of an Orzo service: validated config, its database (PostgreSQL schema
 * or SQLite file, migrated only by the explicit `migrate` command), the bus with exactly-once
 * consumers, /healthz and /metrics, and its own feature module.
 */
export function orzoService<S extends z.ZodRawShape = Record<string, never>>(
  options: OrzoServiceOptions<S>,
): ServiceDefinition<ReturnType<typeof baseConfigSchema> & S> {
  const shape = { ...baseConfigSchema(options.httpPort), ...(options.configShape ?? ({} as S)) };
  type Config = z.infer<z.ZodObject<typeof shape>>;
  const dbOptions = (ctx: ServiceContext<Config>): DatabaseOptions => ({
    url: databaseUrl(options.service, ctx.config as BaseConfig),
    schema: databaseSchema(options.service, ctx.config as BaseConfig),
    entities: options.entities,
    migrations: options.migrations,
    log: (message) => ctx.logger.info({ component: 'mikro-orm' }, message.replace(/\u001b\[[0-9;]*m/g, '')),
  });
  return {
    service: options.service,
    configShape: shape,
    module: (ctx) => {
      const base = ctx.config as BaseConfig;
      @Module({
        imports: [
          PersistenceModule.forRoot(dbOptions(ctx)),
          BusModule.forRoot({ natsUrl: base.ORZO_NATS_URL }),
          options.module(ctx as ServiceContext<ServiceConfig<S>>),
        ],
      })
      class OrzoServiceModule {}
      return OrzoServiceModule;
    },
    commands: {
      /** Brings the service's database schema up to date; the only place migrations run. */
      migrate: async (ctx) => {
        const db = await Database.open(dbOptions(ctx));
        try {
          const applied = await db.migrate();
          ctx.logger.info(
            { applied, target: db.target.kind },
            applied.length ? `applied ${applied.length} migration(s)` : 'database schema already up to date',
          );
        } finally {
          await db.close();
        }
      },
    },
  };
}
