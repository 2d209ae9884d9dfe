export * from './database-url';
export * from './database';
export * from './processed-event.entity';
export * from './processed-event.store';
export * from './persistence.module';
export * from './migrations';
export type { MigrationObject } from '@mikro-orm/core';
export { Migration } from '@mikro-orm/migrations';
export type { EntityManager } from '@mikro-orm/knex';
