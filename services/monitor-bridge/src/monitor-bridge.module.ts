import { Module } from '@nestjs/common';

/** monitor-bridge: health-checks instances and raises alerts. Its handlers and adapters register here. */
@Module({})
export class MonitorBridgeModule {}
