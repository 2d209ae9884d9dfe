import { Registry, collectDefaultMetrics } from 'prom-client';

/** A registry per service, labelled with the service name, with Node's default metrics. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'orzo_' });
  return registry;
}
