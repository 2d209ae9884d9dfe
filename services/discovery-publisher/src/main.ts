import { runService } from '@orzo/platform';
import { orzoService } from '@orzo/runtime';
import { DiscoveryPublisherModule } from './discovery-publisher.module';

void runService(orzoService({ service: 'discovery-publisher', httpPort: 7104, module: () => DiscoveryPublisherModule }));
