import { runService } from '@orzo/platform';
import { jenkinsHook } from './definition';

void runService(jenkinsHook);
