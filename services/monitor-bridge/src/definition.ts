import { orzoService } from '@orzo/runtime';
import { M20261124Monitor } from './persistence/m20261124-monitor';
import { DIALECT_MIGRATIONS } from './persistence/migrations';
import { MonitorAlertSchema, MonitorDeliverySchema, MonitorJobSchema, MonitorReplicaSchema, MonitorSpecSchema } from './persistence/monitor.entities';
import { monitorBridgeConfigShape } from './config';
import { MonitorBridgeModule } from './monitor-bridge.module';

export const monitorBridge = orzoService({
  service: 'monitor-bridge',
  httpPort: 7105,
  configShape: monitorBridgeConfigShape,
  entities: [MonitorReplicaSchema, MonitorSpecSchema, MonitorAlertSchema, MonitorDeliverySchema, MonitorJobSchema],
  migrations: [{ name: 'M20261124Monitor', class: M20261124Monitor }],
  dialectMigrations: DIALECT_MIGRATIONS,
  module: () => MonitorBridgeModule,
});
