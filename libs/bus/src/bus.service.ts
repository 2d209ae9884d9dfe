import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { JetStreamClient, JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { EventMap, RpcContract, Subject, streamForSubject } from '@orzo/contracts';
import { EnvelopeMeta, EnvelopeOptions } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger, METRICS_REGISTRY, SERVICE_NAME, settleWithin } from '@orzo/platform';
import { Registry } from 'prom-client';
import { BusMetrics } from './bus-metrics';
import { NatsConnection, connectNats } from './connection';
import { DurableConsumer } from './consumer';
import { IDEMPOTENCY_STORE, IdempotencyStore } from './idempotency';
import { EventHandler } from './outcome';
import { EventPublisher, PublishResult } from './publisher';
import { RESPOND_METADATA, RespondMetadata, RpcHandler } from './respond.decorator';
import { RpcCallOptions, callRpc } from './rpc-client';
import { RpcResponder } from './rpc-responder';
import { ensureStreams } from './streams';
import { SUBSCRIBE_METADATA, SubscribeMetadata } from './subscribe.decorator';

export const BUS_OPTIONS = Symbol('orzo:bus-options');

/** How long stopping waits for the message or request in hand, and for NATS to drain (within the service's stop deadline). */
const STOP_WAIT_MS = 3_000;
const DRAIN_WAIT_MS = 2_000;

export interface BusOptions {
  natsUrl: string;
  /** Start consumers for @Subscribe handlers and responders for @Respond ones (default true). */
  consume?: boolean;
}

/**
 * The service's connection to the bus: connects, creates streams, publishes, runs a durable
 * consumer for every @Subscribe handler and a responder for every @Respond one found at boot,
 * asks other services (request); drains on shutdown.
 */
@Injectable()
export class BusService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private publisher?: EventPublisher;
  private readonly consumers: DurableConsumer[] = [];
  private readonly responders: Array<RpcResponder<unknown, unknown>> = [];
  private readonly metrics: BusMetrics;

  constructor(
    @Inject(BUS_OPTIONS) private readonly options: BusOptions,
    @Inject(SERVICE_NAME) private readonly service: string,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS_REGISTRY) registry: Registry,
    private readonly health: HealthRegistry,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Optional() @Inject(IDEMPOTENCY_STORE) private readonly idempotency?: IdempotencyStore,
  ) {
    this.metrics = new BusMetrics(registry);
  }

  async onModuleInit(): Promise<void> {
    this.nc = await connectNats(this.options.natsUrl, this.service, this.logger);
    this.js = jetstream(this.nc);
    this.jsm = await jetstreamManager(this.nc);
    await ensureStreams(this.jsm);
    this.publisher = new EventPublisher(this.js, { source: this.service });
    this.health.register('nats', () => {
      const closed = this.nc?.isClosed() ?? true;
      return { ok: !closed && !this.nc?.isDraining(), detail: closed ? 'connection closed' : this.nc?.getServer() };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.consume === false) return;
    for (const { rpc, handler, name } of this.discoverResponders()) {
      const responder = new RpcResponder(rpc, handler, this.logger);
      responder.start(this.nc!);
      this.responders.push(responder);
      this.logger.info({ rpc: rpc.name, subject: rpc.subject, queue: rpc.queue, handler: name }, 'answering');
    }
    for (const { subject, options, handler, name } of this.discoverHandlers()) {
      const stream = streamForSubject(subject);
      if (!stream) throw new Error(`no stream holds ${subject} (handler ${name})`);
      const useStore = options.idempotent ?? Boolean(this.idempotency);
      if (useStore && !this.idempotency) throw new Error(`handler ${name} asks for idempotency but no IDEMPOTENCY_STORE is provided`);
      if (useStore && (options.concurrency ?? 1) > 1) throw new Error(`handler ${name}: concurrency applies only to handlers without the idempotency store`);
      const consumer = new DurableConsumer(this.js!, this.jsm!, {
        stream: stream.name,
        durable: options.durable ?? `${this.service}-${kebab(name)}`,
        subject,
        handler,
        logger: this.logger,
        maxAttempts: options.maxAttempts,
        backoffMs: options.backoffMs,
        ackWaitMs: options.ackWaitMs,
        batchSize: options.batchSize,
        concurrency: options.concurrency,
        idempotency: useStore ? this.idempotency : undefined,
        metrics: this.metrics,
      });
      await consumer.start();
      this.consumers.push(consumer);
      this.logger.info({ consumer: consumer.name, subject }, 'consuming');
    }
  }

  /**
   * First step of a shutdown, before any service's own hooks: no new request or event is taken;
   * the batch in hand is finished (or nakked when it takes too long) and the rest given back.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const responders = this.responders.splice(0);
    const consumers = this.consumers.splice(0);
    await Promise.all([...responders.map((r) => r.stop(STOP_WAIT_MS)), ...consumers.map((c) => c.stop(STOP_WAIT_MS))]);
  }

  /** Last step: what is still being published goes out, then the connection closes (bounded: NATS may be away). */
  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    const drained = await settleWithin(
      nc.drain().catch(() => undefined),
      DRAIN_WAIT_MS,
    );
    if (!drained) {
      this.logger.warn({ waitedMs: DRAIN_WAIT_MS }, 'NATS drain did not finish; closing the connection');
      await settleWithin(nc.close(), 500);
    }
    this.logger.info('bus drained and closed');
  }

  async publish<S extends Subject>(subject: S, payload: EventMap[S], envelope: Partial<EnvelopeOptions> = {}): Promise<PublishResult> {
    const result = await this.requirePublisher().publish(subject, payload, envelope);
    this.metrics.publishedTotal.inc({ subject });
    return result;
  }

  /** Publishes an event whose envelope already exists (an outbox row, a replay): same id, same bytes. */
  async publishEnvelope<S extends Subject>(envelope: EnvelopeMeta & { type: S }, payload: EventMap[S]): Promise<PublishResult> {
    const result = await this.requirePublisher().publishEnvelope(envelope, payload);
    this.metrics.publishedTotal.inc({ subject: envelope.type });
    return result;
  }

  /**
   * Asks the service that serves `rpc` and returns its validated reply. Throws UnavailableError
   * naming the service and subject when nobody answers (no responders / timeout), the domain
   * error of an error reply, RpcFailedError when the responder failed.
   */
  request<Req, Res>(rpc: RpcContract<Req, Res>, req: Req, options: RpcCallOptions): Promise<Res> {
    return callRpc(this.connection, rpc, req, options);
  }

  get connection(): NatsConnection {
    if (!this.nc) throw new Error('bus not connected yet');
    return this.nc;
  }

  get consumerNames(): string[] {
    return this.consumers.map((c) => c.name);
  }

  private requirePublisher(): EventPublisher {
    if (!this.publisher) throw new Error('bus not connected yet');
    return this.publisher;
  }

  private discoverResponders(): Array<{ rpc: RpcContract<unknown, unknown>; handler: RpcHandler<unknown, unknown>; name: string }> {
    const found: Array<{ rpc: RpcContract<unknown, unknown>; handler: RpcHandler<unknown, unknown>; name: string }> = [];
    this.forEachMethod<RespondMetadata>(RESPOND_METADATA, (instance, fn, meta, name) => {
      for (const rpc of meta.contracts(instance)) found.push({ rpc, handler: fn.bind(instance) as RpcHandler<unknown, unknown>, name });
    });
    return found;
  }

  private discoverHandlers(): Array<{ subject: Subject; options: SubscribeMetadata; handler: EventHandler; name: string }> {
    const found: Array<{ subject: Subject; options: SubscribeMetadata; handler: EventHandler; name: string }> = [];
    this.forEachMethod<SubscribeMetadata>(SUBSCRIBE_METADATA, (instance, fn, meta, name) => {
      found.push({ subject: meta.subject, options: meta, handler: fn.bind(instance) as EventHandler, name });
    });
    return found;
  }

  /** Calls visit for every provider method carrying the metadata `key`. */
  private forEachMethod<M>(key: string, visit: (instance: object, fn: (...args: unknown[]) => unknown, meta: M, name: string) => void): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method] as ((...args: unknown[]) => unknown) | undefined;
        if (typeof fn !== 'function') continue;
        const meta = this.reflector.get<M | undefined>(key, fn);
        if (meta) visit(instance, fn, meta, method);
      }
    }
  }
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
