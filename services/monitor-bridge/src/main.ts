import { runService } from '@orzo/platform';
import { monitorBridge } from './definition';

void runService(monitorBridge);
