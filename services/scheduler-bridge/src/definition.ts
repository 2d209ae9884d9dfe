import { orzoService } from '@orzo/runtime';
import { schedulerBridgeConfigShape } from './config';
import { M20261124Scheduler } from './persistence/m20261124-scheduler';
import { SchedulerBridgeModule } from './scheduler-bridge.module';

export const schedulerBridge = orzoService({
  service: 'scheduler-bridge',
  httpPort: 7103,
  configShape: schedulerBridgeConfigShape,
  migrations: [{ name: 'M20261124Scheduler', class: M20261124Scheduler }],
  module: () => SchedulerBridgeModule,
});
