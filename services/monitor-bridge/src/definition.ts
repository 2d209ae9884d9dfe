import { orzoService } from '@orzo/runtime';
import { M20261124Monitor } from './m20261124-monitor';
import { MonitorBridgeModule } from './monitor-bridge.module';

export const monitorBridge = orzoService({
  service: 'monitor-bridge',
  httpPort: 7105,
  migrations: [{ name: 'M20261124Monitor', class: M20261124Monitor }],
  module: () => MonitorBridgeModule,
});
