import type { MigrationObject } from '@mikro-orm/core';
import { M20261124ProcessedEvents } from './m20261124-processed-events';

/** Migrations every service database gets (the platform's own tables), in order. */
export const PLATFORM_MIGRATIONS: MigrationObject[] = [{ name: 'M20261124ProcessedEvents', class: M20261124ProcessedEvents }];
