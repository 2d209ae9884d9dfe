import { Module } from '@nestjs/common';

/** control-api: owns desired state and history behind the gRPC API. Its handlers and adapters register here. */
@Module({})
export class ControlApiModule {}
