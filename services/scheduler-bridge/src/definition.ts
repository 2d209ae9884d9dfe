import { orzoService } from '@orzo/runtime';
import { z } from 'zod';
import { M20261124Scheduler } from './persistence/m20261124-scheduler';
import { DIALECT_MIGRATIONS } from './persistence/migrations';
import { DesiredInstanceSchema } from './persistence/desired-instance.entity';
import { SchedulerBridgeModule } from './scheduler-bridge.module';

export const schedulerBridge = orzoService({
  service: 'scheduler-bridge',
  httpPort: 7103,
  configShape: {
    /** Clusters whose instances this bridge runs (comma-separated). */
    ORZO_SCHEDULER_CLUSTERS: z.string().min(1).default('local'),
    ORZO_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
    /** A deploy that has not converged after this long is reported failed (it keeps converging). */
    ORZO_DEPLOY_TIMEOUT_S: z.coerce.number().int().min(1).default(600),
  },
  entities: [DesiredInstanceSchema],
  migrations: [{ name: 'M20261124Scheduler', class: M20261124Scheduler }],
  dialectMigrations: DIALECT_MIGRATIONS,
  module: () => SchedulerBridgeModule,
});
