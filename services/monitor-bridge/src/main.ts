import { runService } from '@orzo/platform';
import { orzoService } from '@orzo/runtime';
import { MonitorBridgeModule } from './monitor-bridge.module';

void runService(orzoService({ service: 'monitor-bridge', httpPort: 7105, module: () => MonitorBridgeModule }));
