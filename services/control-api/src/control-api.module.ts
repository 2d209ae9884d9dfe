import { Module } from '@nestjs/common';
import { BuildService } from './build/build.service';
import { BuildViewHandlers } from './build/build-view.handlers';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { MarkService } from './deploy/mark.service';
import { OutboxRelay } from './deploy/outbox';
import { SoaConfigSource } from './deploy/soa-config.source';
import { GrpcServer } from './grpc/grpc.server';
import { PipelineHandlers } from './pipeline/pipeline.handlers';
import { ReplicaViewHandlers } from './status/replica-view.handlers';
import { StatusService } from './status/status.service';

/** control-api: owns desired state and history behind the gRPC API. */
@Module({
  imports: [DeadLettersModule],
  providers: [SoaConfigSource, OutboxRelay, MarkService, StatusService, ReplicaViewHandlers, BuildService, BuildViewHandlers, PipelineHandlers, GrpcServer],
})
export class ControlApiModule {}
