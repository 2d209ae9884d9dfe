import { orzoService } from '@orzo/runtime';
import { discoveryPublisherConfigShape } from './config';
import { DiscoveryPublisherModule } from './discovery-publisher.module';

export const discoveryPublisher = orzoService({
  service: 'discovery-publisher',
  httpPort: 7104,
  configShape: discoveryPublisherConfigShape,
  module: (ctx) => DiscoveryPublisherModule.forHost(ctx.config),
});
