import { AlertRaised } from '@orzo/contracts';
import { AlertSink, SinkItem, postJson, routingAnnotations } from './alert-sink';

export interface SensuOptions {
  url: string;
  apiKey?: string;
  namespace: string;
  handlers: string[];
  /** Firing alerts are re-posted this often; their ttl is 3 x this, so a silent monitor-bridge shows in Sensu. */
  resendSeconds: number;
}

/** A Sensu Go event (core/v2), the fields Orzo sets. */
export interface SensuEvent {
  timestamp: number;
  entity: { entity_class: 'proxy'; metadata: { name: string; namespace: string } };
  check: {
    metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
    status: number;
    output: string;
    handlers: string[];
    interval: number;
    ttl: number;
    issued: number;
    executed: number;
    proxy_entity_name: string;
  };
}

/**
 * Sensu Go events API: POST /api/core/v2/namespaces/<ns>/events, Authorization: Key <key>.
 * One proxy entity per instance (<service>.<instance>.<cluster>); team in labels (Sensu keeps no
 * custom top-level check attributes), everything else in annotations. Firing alerts are re-sent
 * with a ttl, so Sensu raises its own failure if monitor-bridge stops reporting; the resolution
 * (status 0) has ttl 0, so a resolved check is not expected again.
 */
export class SensuSink implements AlertSink {
  readonly name = 'sensu';
  readonly resendSeconds: number;

  constructor(private readonly o: SensuOptions) {
    this.resendSeconds = o.resendSeconds;
  }

  async deliver(item: SinkItem): Promise<void> {
    const event =
      item.kind === 'raised'
        ? toSensuEvent(item.raised, this.o, item.raised.status, item.raised.output)
        : toSensuEvent(item.raised, this.o, 0, item.resolved.output);
    const headers: Record<string, string> = this.o.apiKey ? { authorization: `Key ${this.o.apiKey}` } : {};
    await postJson(
      this.name,
      `${this.o.url.replace(/\/+$/, '')}/api/core/v2/namespaces/${encodeURIComponent(this.o.namespace)}/events`,
      JSON.stringify(event),
      headers,
    );
  }
}

export function toSensuEvent(a: AlertRaised, o: Pick<SensuOptions, 'namespace' | 'handlers' | 'resendSeconds'>, status: number, output: string): SensuEvent {
  const now = Math.floor(Date.now() / 1000);
  const entity = `${a.service}.${a.instance}.${a.cluster}`;
  const interval = Math.max(1, Math.round(Math.min(a.checkEverySeconds || 60, o.resendSeconds)));
  return {
    timestamp: now,
    entity: { entity_class: 'proxy', metadata: { name: entity, namespace: o.namespace } },
    check: {
      metadata: { name: a.check, namespace: o.namespace, labels: { team: a.team }, annotations: routingAnnotations(a) },
      status,
      output,
      handlers: o.handlers,
      interval,
      // Sensu requires ttl > interval; 0 switches ttl off (a resolved check is not expected again).
      ttl: status === 0 ? 0 : Math.max(interval + 1, Math.ceil(3 * o.resendSeconds)),
      issued: now,
      executed: now,
      proxy_entity_name: entity,
    },
  };
}
