import { runService } from '@orzo/platform';
import { orzoService } from '@orzo/runtime';
import { SchedulerBridgeModule } from './scheduler-bridge.module';

void runService(orzoService({ service: 'scheduler-bridge', httpPort: 7103, module: () => SchedulerBridgeModule }));
