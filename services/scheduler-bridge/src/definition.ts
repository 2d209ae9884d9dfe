import { orzoService } from '@orzo/runtime';
import { schedulerBridgeConfigShape } from './config';
import { M20261124Scheduler } from './persistence/m20261124-scheduler';
import { DIALECT_MIGRATIONS } from './persistence/migrations';
import { DesiredInstanceSchema } from './persistence/desired-instance.entity';
import { SchedulerBridgeModule } from './scheduler-bridge.module';

export const schedulerBridge = orzoService({
  service: 'scheduler-bridge',
  httpPort: 7103,
  configShape: schedulerBridgeConfigShape,
  entities: [DesiredInstanceSchema],
  migrations: [{ name: 'M20261124Scheduler', class: M20261124Scheduler }],
  dialectMigrations: DIALECT_MIGRATIONS,
  module: () => SchedulerBridgeModule,
});
