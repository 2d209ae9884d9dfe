import { runService } from '@orzo/platform';
import { builder } from './definition';

void runService(builder);
