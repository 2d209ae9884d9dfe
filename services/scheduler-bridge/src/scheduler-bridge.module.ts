import { Module } from '@nestjs/common';
import { DockerEngine } from './docker-engine';
import { ImageExistsResponder } from './image-exists.responder';
import { ReplicaLogsResponder } from './logs/replica-logs.responder';
import { DeployRequestedHandler } from './reconcile/deploy-requested.handler';
import { DesiredStateRepository } from './reconcile/desired-state.repository';
import { DOCKER_ENGINE, Reconciler } from './reconcile/reconciler';
import { RestartReplicaResponder } from './replicas/restart-replica.responder';

/** scheduler-bridge: reconciles desired instances with the Docker Engine. */
@Module({
  providers: [
    { provide: DOCKER_ENGINE, useFactory: () => new DockerEngine() },
    DesiredStateRepository,
    Reconciler,
    DeployRequestedHandler,
    ImageExistsResponder,
    RestartReplicaResponder,
    ReplicaLogsResponder,
  ],
})
export class SchedulerBridgeModule {}
