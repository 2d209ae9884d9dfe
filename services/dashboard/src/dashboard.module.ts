import { Module } from '@nestjs/common';
import { ApiController } from './api.controller';
import { ControlApiGateway } from './control-api.gateway';
import { StaticController } from './static.controller';
import { StreamController } from './stream.controller';

/** dashboard: the web app, and the gateway from the browser to control-api's gRPC API. StaticController last: it answers every other GET. */
@Module({ controllers: [ApiController, StreamController, StaticController], providers: [ControlApiGateway] })
export class DashboardModule {}
