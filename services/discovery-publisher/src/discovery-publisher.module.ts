import { Module } from '@nestjs/common';
import { DiscoveryHandlers } from './discovery.handlers';
import { DiscoveryService } from './discovery.service';

/** discovery-publisher: publishes healthy endpoints and drives the local HAProxy. */
@Module({ providers: [DiscoveryService, DiscoveryHandlers] })
export class DiscoveryPublisherModule {}
