import { Module } from '@nestjs/common';
import Docker from 'dockerode';
import { BuildQueue, DOCKER } from './build-queue';
import { BuildRequestedHandler } from './build-requested.handler';
import { BuildRepository } from './persistence/build.repository';
import { CancelResponder } from './cancel.responder';
import { PipelineStepHandler } from './pipeline-step.handler';

/** builder: builds images of commits with Docker Engine, tags them immutably and pushes them. */
@Module({
  providers: [{ provide: DOCKER, useFactory: () => new Docker() }, BuildRepository, BuildQueue, BuildRequestedHandler, CancelResponder, PipelineStepHandler],
})
export class BuilderModule {}
