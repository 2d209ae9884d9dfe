import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@orzo/platform';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The passes over every instance (the timer's) on /metrics: how long they take, what they
 * cost in CPU, how many engine listings they made and how many instances needed a full pass.
 */
@Injectable()
export class ReconcileMetrics {
  private readonly duration: Histogram;
  private readonly passes: Counter;
  private readonly lastSeconds: Gauge;
  private readonly lastCpuSeconds: Gauge;
  private readonly lastListings: Gauge;
  private readonly lastInstances: Gauge<'outcome'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.duration = new Histogram({
      name: 'orzo_scheduler_reconcile_all_seconds',
      help: 'Duration of a reconcile pass over every instance',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.passes = new Counter({ name: 'orzo_scheduler_reconcile_all_total', help: 'Reconcile passes over every instance', registers });
    this.lastSeconds = new Gauge({ name: 'orzo_scheduler_reconcile_all_last_seconds', help: 'Duration of the latest pass over every instance', registers });
    this.lastCpuSeconds = new Gauge({
      name: 'orzo_scheduler_reconcile_all_last_cpu_seconds',
      help: 'CPU time of this process during the latest pass over every instance',
      registers,
    });
    this.lastListings = new Gauge({
      name: 'orzo_scheduler_reconcile_all_last_listings',
      help: 'Engine listings the latest pass over every instance asked for itself (one per cluster)',
      registers,
    });
    this.lastInstances = new Gauge({
      name: 'orzo_scheduler_reconcile_all_last_instances',
      help: 'Instances of the latest pass over every instance: settled (left alone) or given a full pass',
      labelNames: ['outcome'],
      registers,
    });
  }

  /** Starts timing a pass; the function returned records it. */
  start(): (pass: { listings: number; settled: number; full: number }) => void {
    const t = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    return ({ listings, settled, full }) => {
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      const used = process.cpuUsage(cpu);
      this.duration.observe(seconds);
      this.passes.inc();
      this.lastSeconds.set(seconds);
      this.lastCpuSeconds.set((used.user + used.system) / 1e6);
      this.lastListings.set(listings);
      this.lastInstances.set({ outcome: 'settled' }, settled);
      this.lastInstances.set({ outcome: 'full' }, full);
    };
  }
}
