import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@orzo/platform';
import { AlertOutboxHandlers } from './alerts/alert-outbox.handlers';
import { AlertService } from './alerts/alert.service';
import { AlertsResponder } from './alerts/alerts.responder';
import { JobCheckHandlers } from './checks/job-checks.handlers';
import { JobChecks } from './checks/job-checks.service';
import { InstanceChecks } from './checks/instance-checks.service';
import type { MonitorBridgeConfig } from './config';
import { MonitorHandlers } from './monitor.handlers';
import { MonitorMetrics } from './monitor.metrics';
import { MonitorService } from './monitor.service';
import { AlertRepository } from './persistence/alert.repository';
import { DeliveryRepository } from './persistence/delivery.repository';
import { MonitorRepository } from './persistence/monitor.repository';
import { ALERT_SINKS, configuredSinks } from './sinks/sink-config';
import { SinkRelay } from './sinks/sink-relay';

/**
 * monitor-bridge: health-checks replicas, runs PaaSTA's checks per instance (replication, OOM,
 * crash loop, failed deploys) and of timed jobs (failed, late, no success in a day), raises and resolves alerts routed by monitoring.yaml, and
 * delivers them durably to Alertmanager, Sensu Go and a signed webhook.
 */
@Module({
  providers: [
    MonitorMetrics,
    MonitorRepository,
    AlertRepository,
    DeliveryRepository,
    MonitorService,
    AlertService,
    InstanceChecks,
    JobChecks,
    JobCheckHandlers,
    { provide: ALERT_SINKS, useFactory: (config: MonitorBridgeConfig) => configuredSinks(config), inject: [SERVICE_CONFIG] },
    SinkRelay,
    MonitorHandlers,
    AlertOutboxHandlers,
    AlertsResponder,
  ],
})
export class MonitorBridgeModule {}
