import { Module } from '@nestjs/common';
import { DeliveryRepository } from './persistence/delivery.repository';
import { DeliveryService } from './delivery.service';
import { HookAuth } from './hook-auth';
import { HookController } from './hook.controller';
import { ServiceDirectory } from './service-directory';

/** jenkins-hook: receives CI webhooks and turns them into build events. */
@Module({ controllers: [HookController], providers: [HookAuth, ServiceDirectory, DeliveryRepository, DeliveryService] })
export class JenkinsHookModule {}
