import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@orzo/platform';
import { loadSystemConfig } from '@orzo/soa-config';
import { type SchedulerBridgeConfig, schedulerClusters } from './config';
import { ENGINES, Engines } from './engine/engines';
import { ImageExistsResponder } from './image-exists.responder';
import { JobScheduler } from './jobs/job-scheduler';
import { JobsHandler } from './jobs/jobs.handler';
import { ReplicaLogsResponder } from './logs/replica-logs.responder';
import { OneOffResponder } from './one-off/one-off.responder';
import { DeployRequestedHandler } from './reconcile/deploy-requested.handler';
import { DesiredStateRepository } from './reconcile/desired-state.repository';
import { Reconciler } from './reconcile/reconciler';
import { ReconcileMetrics } from './reconcile/reconcile-metrics';
import { ExecInReplicaResponder } from './replicas/exec-in-replica.responder';
import { RestartReplicaResponder } from './replicas/restart-replica.responder';
import { UnhealthyReplicaHandler } from './replicas/unhealthy-replica.handler';

/** scheduler-bridge: reconciles desired instances with each cluster's engine (Docker or Swarm, from orzo.yaml). */
@Module({
  providers: [
    {
      provide: ENGINES,
      useFactory: (config: SchedulerBridgeConfig) => Engines.fromSystemConfig(schedulerClusters(config), loadSystemConfig({ file: config.ORZO_CONFIG })),
      inject: [SERVICE_CONFIG],
    },
    DesiredStateRepository,
    ReconcileMetrics,
    Reconciler,
    DeployRequestedHandler,
    ImageExistsResponder,
    RestartReplicaResponder,
    ReplicaLogsResponder,
    ExecInReplicaResponder,
    UnhealthyReplicaHandler,
    OneOffResponder,
    JobScheduler,
    JobsHandler,
  ],
})
export class SchedulerBridgeModule {}
