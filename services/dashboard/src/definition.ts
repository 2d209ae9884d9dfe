import type { ServiceDefinition } from '@orzo/platform';
import { dashboardConfigShape } from './config';
import { DashboardModule } from './dashboard.module';

/** No database and no bus: the dashboard holds no state of its own, control-api has it all. */
export const dashboard: ServiceDefinition<typeof dashboardConfigShape> = {
  service: 'dashboard',
  configShape: dashboardConfigShape,
  module: () => DashboardModule,
};
