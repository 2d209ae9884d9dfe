import { DynamicModule, Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HealthRegistry, OpsController } from './service-health';
import { Logger } from './logger';
import { LOGGER, METRICS_REGISTRY, SERVICE_CONFIG, SERVICE_NAME } from './tokens';

export interface PlatformOptions {
  service: string;
  config: object;
  logger: Logger;
  registry: Registry;
}

/** Service identity, validated config, logger, metrics, /healthz and /metrics. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [OpsController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        { provide: SERVICE_CONFIG, useValue: options.config },
        { provide: LOGGER, useValue: options.logger },
        { provide: METRICS_REGISTRY, useValue: options.registry },
        HealthRegistry,
      ],
      exports: [SERVICE_NAME, SERVICE_CONFIG, LOGGER, METRICS_REGISTRY, HealthRegistry],
    };
  }
}
