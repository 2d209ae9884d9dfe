import { Module } from '@nestjs/common';
import { AlertsModule } from './alerts/alerts.module';
import { ConfigApplyService } from './config-apply/config-apply.service';
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
import { InstanceStateService } from './instance-state/instance-state.service';
import { JobHistoryHandlers } from './jobs/job-history.handlers';
import { JobHistoryService } from './jobs/job-history.service';
import { JobsService } from './jobs/jobs.service';
import { PipelineHandlers } from './pipeline/pipeline.handlers';
import { PipelineService } from './pipeline/pipeline.service';
import { AutoRollbackHandlers } from './rollback/auto-rollback.handlers';
import { AutoRollbackService } from './rollback/auto-rollback.service';
import { DeploymentsService } from './rollback/deployments.service';
import { RollbackService } from './rollback/rollback.service';
import { InstanceLogsService } from './logs/instance-logs.service';
import { RemoteRunService } from './remote-run/remote-run.service';
import { AutoscaleService } from './scaling/autoscale.service';
import { InstanceOverrides } from './scaling/instance-overrides.service';
import { InstanceRespec } from './scaling/instance-respec.service';
import { OverrideExpiry } from './scaling/override-expiry';
import { RestartService } from './scaling/restart.service';
import { SecretKeyring } from './secrets/secret-keyring';
import { SecretStore } from './secrets/secret-store';
import { SecretValuesResponder } from './secrets/secret-values.responder';
import { SecretsService } from './secrets/secrets.service';
import { SoaConfigSource } from './soa/soa-config.source';
import { ProgressViewHandlers } from './status/progress-view.handlers';
import { ProgressViewService } from './status/progress-view.service';
import { ReplicaViewHandlers } from './status/replica-view.handlers';
import { ReplicaViewService } from './status/replica-view.service';
import { StatusService } from './status/status.service';

/** control-api: owns desired state and history behind the gRPC API. */
@Module({
  imports: [DeadLettersModule, AlertsModule],
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
    DeploymentsService,
    RollbackService,
    AutoRollbackService,
    AutoRollbackHandlers,
    InstanceStateService,
    InstanceOverrides,
    InstanceRespec,
    AutoscaleService,
    RestartService,
    OverrideExpiry,
    InstanceLogsService,
    RemoteRunService,
    TokenService,
    AccessGate,
    TokenAdminService,
    AdminTokenBootstrap,
    EventWatchService,
    SecretKeyring,
    SecretStore,
    SecretsService,
    SecretValuesResponder,
    ConfigApplyService,
    JobsService,
    JobHistoryService,
    JobHistoryHandlers,
    GrpcServer,
  ],
})
export class ControlApiModule {}
