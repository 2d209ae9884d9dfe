import { runService } from '@orzo/platform';
import { controlApi } from './definition';

void runService(controlApi);
