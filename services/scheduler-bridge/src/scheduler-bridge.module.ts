import { Module } from '@nestjs/common';

/** scheduler-bridge: reconciles desired instances with the scheduler engine. Its handlers and adapters register here. */
@Module({})
export class SchedulerBridgeModule {}
