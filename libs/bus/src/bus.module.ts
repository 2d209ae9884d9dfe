import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BUS_OPTIONS, BusOptions, BusService } from './bus.service';

@Global()
@Module({})
export class BusModule {
  static forRoot(options: BusOptions): DynamicModule {
    return {
      module: BusModule,
      imports: [DiscoveryModule],
      providers: [{ provide: BUS_OPTIONS, useValue: options }, BusService],
      exports: [BusService],
    };
  }
}
