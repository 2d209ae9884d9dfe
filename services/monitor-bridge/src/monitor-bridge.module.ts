import { Module } from '@nestjs/common';
import { MonitorHandlers } from './monitor.handlers';
import { MonitorService } from './monitor.service';
import { MonitorRepository } from './persistence/monitor.repository';

/** monitor-bridge: health-checks instances (alerts to Sensu / Alertmanager come next). */
@Module({ providers: [MonitorRepository, MonitorService, MonitorHandlers] })
export class MonitorBridgeModule {}
