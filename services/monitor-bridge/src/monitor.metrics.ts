import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@orzo/platform';
import { Counter, Gauge, Registry } from 'prom-client';

const INSTANCE = ['service', 'instance', 'cluster'] as const;

/**
 * monitor-bridge's gauges on /metrics (the platform serves the registry): per instance, the
 * replica counts PaaSTA's replication check emits (expected, available, critical), the alerts
 * firing; how long its latest health check took; per sink, deliveries.
 */
@Injectable()
export class MonitorMetrics {
  readonly expected: Gauge<(typeof INSTANCE)[number]>;
  readonly available: Gauge<(typeof INSTANCE)[number]>;
  readonly critical: Gauge<(typeof INSTANCE)[number]>;
  readonly alertsFiring: Gauge<(typeof INSTANCE)[number]>;
  readonly checkLatency: Gauge<(typeof INSTANCE)[number]>;
  readonly deliveries: Counter<'sink' | 'outcome'>;
  readonly deliveriesPending: Gauge<'sink'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.expected = new Gauge({ name: 'orzo_monitor_replicas_expected', help: 'Replicas an instance should run', labelNames: INSTANCE, registers });
    this.available = new Gauge({
      name: 'orzo_monitor_replicas_available',
      help: 'Replicas UP in discovery (or healthy, outside the mesh)',
      labelNames: INSTANCE,
      registers,
    });
    this.critical = new Gauge({
      name: 'orzo_monitor_replicas_critical',
      help: 'Fewest available replicas that is not CRITICAL (expected x replication_threshold)',
      labelNames: INSTANCE,
      registers,
    });
    this.alertsFiring = new Gauge({ name: 'orzo_monitor_alerts_firing', help: 'Alerts firing per instance', labelNames: INSTANCE, registers });
    this.checkLatency = new Gauge({
      name: 'orzo_monitor_check_latency_seconds',
      help: 'Duration of the latest health check of a replica of the instance',
      labelNames: INSTANCE,
      registers,
    });
    this.deliveries = new Counter({
      name: 'orzo_monitor_alert_deliveries_total',
      help: 'Alert deliveries per sink and outcome',
      labelNames: ['sink', 'outcome'],
      registers,
    });
    this.deliveriesPending = new Gauge({
      name: 'orzo_monitor_alert_deliveries_pending',
      help: 'Alert events not yet taken by a sink',
      labelNames: ['sink'],
      registers,
    });
  }
}
