import { DynamicModule, Module } from '@nestjs/common';
import type { DiscoveryPublisherConfig } from './config';
import { DiscoveryHandlers } from './discovery.handlers';
import { HostProxyService } from './host-proxy.service';
import { RegistrarService } from './registrar.service';

/**
 * discovery-publisher, one per host: this host's HAProxy following the shared registry
 * (HostProxyService), and on the registrar only (ORZO_DISCOVERY_REGISTRAR, one per cluster)
 * the instance-event consumers that write that registry.
 */
@Module({})
export class DiscoveryPublisherModule {
  static forHost(config: Pick<DiscoveryPublisherConfig, 'ORZO_DISCOVERY_REGISTRAR'>): DynamicModule {
    const registrar = config.ORZO_DISCOVERY_REGISTRAR ? [RegistrarService, DiscoveryHandlers] : [];
    return { module: DiscoveryPublisherModule, providers: [HostProxyService, ...registrar] };
  }
}
