import { Module } from '@nestjs/common';
import { DockerEngine } from './docker-engine';
import { ImageExistsResponder } from './image-exists.responder';
import { DeployRequestedHandler } from './reconcile/deploy-requested.handler';
import { DesiredStateRepository } from './reconcile/desired-state.repository';
import { DOCKER_ENGINE, Reconciler } from './reconcile/reconciler';

/** scheduler-bridge: reconciles desired instances with the Docker Engine. */
@Module({
  providers: [
    { provide: DOCKER_ENGINE, useFactory: () => new DockerEngine() },
    DesiredStateRepository,
    Reconciler,
    DeployRequestedHandler,
    ImageExistsResponder,
  ],
})
export class SchedulerBridgeModule {}
