import { runService } from '@orzo/platform';
import { schedulerBridge } from './definition';

void runService(schedulerBridge);
