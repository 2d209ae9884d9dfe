import { Module } from '@nestjs/common';
import { AccessGate } from './access/access-gate';
import { AdminTokenBootstrap } from './access/admin-token.file';
import { TokenAdminService } from './access/token-admin.service';
import { TokenService } from './access/token.service';
import { BuildViewHandlers } from './builds/build-view.handlers';
import { BuildViewService } from './builds/build-view.service';
import { BuildService } from './builds/build.service';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { EventWatchService } from './events/event-watch.service';
import { MarkService } from './deploys/mark.service';
import { OutboxRelay } from './deploys/outbox.relay';
import { GrpcServer } from './grpc/grpc.server';
import { HistoryService } from './history/history.service';
import { PipelineHandlers } from './pipeline/pipeline.handlers';
import { PipelineService } from './pipeline/pipeline.service';
import { SoaConfigSource } from './soa/soa-config.source';
import { ProgressViewHandlers } from './status/progress-view.handlers';
import { ProgressViewService } from './status/progress-view.service';
import { ReplicaViewHandlers } from './status/replica-view.handlers';
import { ReplicaViewService } from './status/replica-view.service';
import { StatusService } from './status/status.service';

/** control-api: owns desired state and history behind the gRPC API. */
@Module({
  imports: [DeadLettersModule],
  providers: [
    SoaConfigSource,
    HistoryService,
    OutboxRelay,
    MarkService,
    PipelineService,
    PipelineHandlers,
    StatusService,
    ReplicaViewService,
    ReplicaViewHandlers,
    ProgressViewService,
    ProgressViewHandlers,
    BuildService,
    BuildViewService,
    BuildViewHandlers,
    TokenService,
    AccessGate,
    TokenAdminService,
    AdminTokenBootstrap,
    EventWatchService,
    GrpcServer,
  ],
})
export class ControlApiModule {}
