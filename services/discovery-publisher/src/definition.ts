import { orzoService } from '@orzo/runtime';
import { z } from 'zod';
import { DiscoveryPublisherModule } from './discovery-publisher.module';

export const discoveryPublisher = orzoService({
  service: 'discovery-publisher',
  httpPort: 7104,
  configShape: {
    ORZO_HAPROXY_BIN: z.string().min(1).default('haproxy'),
    /** Where the HAProxy config and stats socket live; default <ORZO_DATA_DIR>/haproxy. */
    ORZO_HAPROXY_DIR: z.string().min(1).optional(),
  },
  module: () => DiscoveryPublisherModule,
});
