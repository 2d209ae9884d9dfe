import { Module } from '@nestjs/common';

/** discovery-publisher: publishes healthy endpoints and drives the local HAProxy. Its handlers and adapters register here. */
@Module({})
export class DiscoveryPublisherModule {}
