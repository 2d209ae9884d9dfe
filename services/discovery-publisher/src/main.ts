import { runService } from '@orzo/platform';
import { discoveryPublisher } from './definition';

void runService(discoveryPublisher);
