import { Module } from '@nestjs/common';
import { MonitorHandlers } from './monitor.handlers';
import { MonitorService } from './monitor.service';

/** monitor-bridge: health-checks instances (alerts to Sensu / Alertmanager come next). */
@Module({ providers: [MonitorService, MonitorHandlers] })
export class MonitorBridgeModule {}
