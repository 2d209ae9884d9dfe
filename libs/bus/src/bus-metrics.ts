import { Counter, Histogram, Registry } from 'prom-client';
import { ConsumerMetrics } from './consumer';

export class BusMetrics implements ConsumerMetrics {
  private readonly handledTotal: Counter<'consumer' | 'subject' | 'outcome'>;
  private readonly handleSeconds: Histogram<'consumer' | 'subject'>;
  readonly publishedTotal: Counter<'subject'>;

  constructor(registry: Registry) {
    this.handledTotal = new Counter({
      name: 'orzo_bus_events_handled_total',
      help: 'Events handled, by consumer, subject and outcome (ack, retry, dead-letter, invalid)',
      labelNames: ['consumer', 'subject', 'outcome'],
      registers: [registry],
    });
    this.handleSeconds = new Histogram({
      name: 'orzo_bus_handle_seconds',
      help: 'Time to handle a batch of events, attributed to each event',
      labelNames: ['consumer', 'subject'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
      registers: [registry],
    });
    this.publishedTotal = new Counter({
      name: 'orzo_bus_events_published_total',
      help: 'Events published (stored by JetStream), by subject',
      labelNames: ['subject'],
      registers: [registry],
    });
  }

  handled(consumer: string, subject: string, outcome: string, seconds: number): void {
    this.handledTotal.inc({ consumer, subject, outcome });
    this.handleSeconds.observe({ consumer, subject }, seconds);
  }
}
