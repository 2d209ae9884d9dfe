import { join } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService, DiscoveryRegistryStore, RegistryChange, RegistryWatch, Respond } from '@orzo/bus';
import { DiscoveryRegistry, ProxyDrainedAnswer, ProxyDrainedCall, Registration, RegistryEndpoint, Rpcs } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger, SERVICE_CONFIG, settleWithin } from '@orzo/platform';
import type { DiscoveryPublisherConfig } from './config';
import { SLOTS, backendsOf } from './haproxy/haproxy-config';
import { HaproxyProcess } from './haproxy/haproxy-process';
import { HaproxyWatchdog } from './haproxy/haproxy-watchdog';
import { sessionsTo } from './haproxy/drain-state';
import { LocalNetworkCache, routeAddress } from './haproxy/route-address';
import { SlotAssignment, planSlots } from './haproxy/slot-plan';

/** How long a broken registry watch waits before it is opened again. */
const REWATCH_MS = 1_000;
/** How often a drain's state is read from HAProxy while a scheduler-bridge waits for it. */
const DRAIN_POLL_MS = 20;
/** Every this many refreshes of its host key, a publisher deletes the keys of hosts gone for long. */
const FORGET_EVERY = 30;
/** After slot commands failed, HAProxy is programmed again (every slot) this soon, if no change does it first. */
const RESYNC_MS = 250;

/**
 * This host's HAProxy, following the shared registry (NATS KV `orzo_discovery`) by a watch, as
 * SmartStack's synapse followed ZooKeeper: every registration's frontend on ORZO_PROXY_BIND,
 * its backend's slots set to exactly the endpoints listed, whichever host they run on. Runs in
 * every discovery-publisher, one per host; only the registrar writes the registry.
 *
 * At boot the whole registry is read first, so an adopted HAProxy is reprogrammed from the
 * complete state (never from a partial one that would drop frontends), then the watch delivers
 * every key's current value again and each later write. A publisher that was away thus
 * catches up on the state: a replica removed meanwhile is no longer listed, and the full
 * resync after adoption puts its slot in maintenance.
 */
@Injectable()
export class HostProxyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly haproxy: HaproxyProcess;
  private readonly watchdog: HaproxyWatchdog;
  private readonly frontends = new Map<string, Registration>();
  private readonly endpoints = new Map<string, RegistryEndpoint[]>();
  /** backend -> replicaId -> slot, as last set in HAProxy. */
  private readonly slots = new Map<string, Map<string, SlotAssignment>>();
  /** backend -> its free slots used before, the longest freed first (planSlots reuses those last). */
  private readonly freed = new Map<string, number[]>();
  /** The frontends HAProxy was last configured with (JSON); undefined = (re)configure next time. */
  private configured?: string;
  private store?: DiscoveryRegistryStore;
  private watch?: RegistryWatch;
  private watching = false;
  private stopped = false;
  private following?: Promise<void>;
  private queue: Promise<unknown> = Promise.resolve();
  /** The sync that will apply the changes made since the last one started (at most one waits). */
  private pending?: Promise<void>;
  /** Settles when HAProxy has answered the slot commands sent last (never rejects). */
  private answered: Promise<void> = Promise.resolve();
  /** Slot commands failed: HAProxy's slots are unknown, the next sync sets every one again. */
  private resync = false;
  /** The sync after a failure (RESYNC_MS), if one is due. */
  private retryTimer?: NodeJS.Timeout;
  private readonly networks = new LocalNetworkCache();
  /** HAProxy was programmed from the whole registry (before that, no drain is confirmed). */
  private synced = false;
  /** Registrations whose list the registrar on this host is writing now (routed ahead of the watch). */
  private readonly ahead = new Map<string, object>();
  /** Per registration, the revision the registrar last wrote: the watch's older values are stale here. */
  private readonly written = new Map<string, number>();
  /** Refreshes this host's key in the registry (DiscoveryRegistry.hostRefreshMs). */
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: DiscoveryPublisherConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly bus: BusService,
    private readonly health: HealthRegistry,
  ) {
    this.haproxy = new HaproxyProcess(
      config.ORZO_HAPROXY_DIR ?? join(config.ORZO_DATA_DIR, 'haproxy'),
      config.ORZO_HAPROXY_BIN,
      logger,
      config.ORZO_PROXY_BIND,
    );
    this.watchdog = new HaproxyWatchdog(
      this.haproxy,
      logger,
      () => this.frontends.size > 0,
      () => this.serial(() => ((this.configured = undefined), this.sync())).then((s) => s.answered),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.store = await DiscoveryRegistryStore.open(this.bus.connection);
    for await (const entry of this.store.entries()) {
      if (entry.kind === 'frontend') this.frontends.set(entry.registration, entry.frontend);
      // A list the registrar here already routed ahead (an event handled during this boot) is newer.
      if (entry.kind === 'endpoints' && !this.ahead.has(entry.registration) && !this.written.has(entry.registration))
        this.endpoints.set(entry.registration, entry.endpoints);
    }
    await (
      await this.serial(() => this.sync())
    ).answered;
    this.synced = true;
    this.watch = await this.store.watch();
    // Listed as a host whose HAProxy follows the registry: a scheduler-bridge asks it to confirm each
    // drain, as long as the key is refreshed (a host gone for good drops out after hostMaxAgeMs).
    await this.store.putHost(this.config.ORZO_HOST_ID, new Date().toISOString());
    this.startHeartbeat();
    this.watching = true;
    this.following = this.follow(this.watch);
    this.watchdog.start();
    this.health.register('haproxy', async () => {
      const where = `host ${this.config.ORZO_HOST_ID}, frontends on ${this.config.ORZO_PROXY_BIND}`;
      if (!this.watching) return { ok: false, detail: `${where}: not following the registry (reconnecting)` };
      if (this.frontends.size === 0) return { ok: true, detail: `${where}: no frontends yet` };
      const servers = await this.haproxy.stats.servers();
      // op state 2 = running: a slot set ready (maintenance ones are 0, stopped).
      const up = servers.filter((s) => s.opState === 2).length;
      return { ok: true, detail: `${where}: ${new Set(servers.map((s) => s.backend)).size} backends, ${up} servers routed` };
    });
    this.logger.info({ hostId: this.config.ORZO_HOST_ID, bind: this.config.ORZO_PROXY_BIND }, 'following the discovery registry into this host’s haproxy');
  }

  /** This host's ORZO_HOST_ID (the proxyDrained requests it answers are addressed to it). */
  get hostId(): string {
    return this.config.ORZO_HOST_ID;
  }

  /**
   * The acknowledged drain, this host's part: answers once the replica is drained from this
   * host's HAProxy (no longer in the registry this host follows, every slot of its address
   * in maintenance, no session open to it), or with drained: false once `withinMs` passed.
   */
  @Respond(Rpcs.proxyDrained, { params: (p: HostProxyService) => [p.hostId] })
  async proxyDrained(req: ProxyDrainedCall): Promise<ProxyDrainedAnswer> {
    const deadline = Date.now() + Math.min(req.withinMs, 120_000);
    for (;;) {
      const detail = await this.drainBlocker(req).catch((err: Error) => `haproxy runtime API: ${err.message}`);
      if (!detail) return { drained: true, detail: `host ${this.config.ORZO_HOST_ID}: out of rotation, no session open` };
      if (this.stopped || Date.now() >= deadline) return { drained: false, detail: `host ${this.config.ORZO_HOST_ID}: ${detail}` };
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
  }

  /** What still keeps a replica from being drained here; undefined when nothing does. */
  private async drainBlocker(req: ProxyDrainedCall): Promise<string | undefined> {
    if (!this.synced) return 'not yet following the registry';
    if ([...this.endpoints.values()].some((list) => list.some((e) => e.replicaId === req.replicaId))) return 'still listed in the registry';
    if ([...this.slots.values()].some((slots) => slots.has(req.replicaId))) return 'not yet in maintenance in haproxy';
    // No frontend: this host's HAProxy routes nothing (it may not even run).
    if (this.frontends.size === 0) return undefined;
    const addresses = [{ host: req.host, port: req.port }];
    if (req.bridgeIp && req.bridgePort) addresses.push({ host: req.bridgeIp, port: req.bridgePort });
    const { routed, sessions } = await sessionsTo(this.haproxy.stats, addresses);
    if (routed) return 'a slot of its address still takes requests';
    return sessions > 0 ? `${sessions} session(s) still open` : undefined;
  }

  /**
   * Refreshes this host's key every DiscoveryRegistry.hostRefreshMs, and now and then deletes
   * the keys of hosts not refreshed for DiscoveryRegistry.hostForgetMs. A refresh that fails (NATS
   * away) is logged; the next one tries again.
   */
  private startHeartbeat(): void {
    let beats = 0;
    let busy = false;
    this.heartbeat = setInterval(() => {
      if (busy || this.stopped) return;
      busy = true;
      const forget = ++beats % FORGET_EVERY === 0;
      void this.store!.putHost(this.config.ORZO_HOST_ID, new Date().toISOString())
        .then(async () => {
          const forgotten = forget ? await this.store!.forgetHosts(DiscoveryRegistry.hostForgetMs) : [];
          if (forgotten.length) this.logger.info({ hosts: forgotten }, 'forgot hosts whose publisher has not refreshed its key for an hour');
        })
        .catch((err: unknown) => this.logger.warn({ err }, 'could not refresh this host’s key in the discovery registry; trying again'))
        .finally(() => (busy = false));
    }, DiscoveryRegistry.hostRefreshMs);
    this.heartbeat.unref();
  }

  /** HAProxy keeps serving while the publisher is away; the next one adopts it. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retryTimer);
    this.watchdog.stop();
    this.watch?.stop();
    await settleWithin(Promise.all([this.following, this.queue, this.answered]), 2_000);
  }

  /** Applies the watch's changes; opens it again when it breaks (NATS away), catching up on the current state. */
  private async follow(first: RegistryWatch): Promise<void> {
    let watch: RegistryWatch | undefined = first;
    while (!this.stopped) {
      try {
        watch ??= this.watch = await this.store!.watch();
        this.watching = true;
        for await (const change of watch.changes) this.apply(change);
      } catch (err) {
        if (!this.stopped) this.logger.warn({ err }, 'registry watch failed');
      }
      this.watching = false;
      watch = undefined;
      if (!this.stopped) {
        this.logger.warn(`registry watch ended; opening it again in ${REWATCH_MS}ms`);
        await new Promise((r) => setTimeout(r, REWATCH_MS));
      }
    }
  }

  /**
   * The registrar on this host (ORZO_DISCOVERY_REGISTRAR) hands each endpoint list over just
   * before writing it to the registry: it is routed at once, one NATS round trip before the
   * watch would bring it. While the write is in flight, and after it for older revisions, the
   * watch's values of that registration are older than what is routed and are not applied (the
   * registrar is the registry's only writer, and writes each key in order). Returns what the
   * registrar calls with the written revision (undefined: the write failed; the list stays
   * routed, as the registrar holds it and writes it again at the retry).
   */
  routeAhead(registration: string, endpoints: RegistryEndpoint[]): (revision: number | undefined) => void {
    const token = {};
    this.ahead.set(registration, token);
    this.endpoints.set(registration, endpoints);
    void this.schedule(); // a failure is logged there
    return (revision) => {
      if (this.ahead.get(registration) === token) this.ahead.delete(registration);
      if (revision !== undefined && revision > (this.written.get(registration) ?? 0)) this.written.set(registration, revision);
    };
  }

  /** Resolves once HAProxy has every list handed over so far (routeAhead), or what the watch brought. */
  routing(): Promise<void> {
    return this.pending ?? this.queue.then(() => this.answered);
  }

  private apply(change: RegistryChange): void {
    if (change.kind === 'invalid') {
      this.logger.error({ key: change.key, problem: change.problem }, 'registry value does not decode; keeping the previous one');
      return;
    }
    if (change.kind === 'endpoints' && (this.ahead.has(change.registration) || change.revision < (this.written.get(change.registration) ?? 0))) return;
    if (change.kind === 'endpoints') this.endpoints.set(change.registration, change.endpoints);
    else if (change.frontend) this.frontends.set(change.registration, change.frontend);
    else this.frontends.delete(change.registration);
    void this.schedule(); // a failure is logged there
  }

  /**
   * One sync at a time (each waits until the one before has sent its commands, not for their
   * answer); changes arriving meanwhile are folded into a single next one. Resolves when
   * HAProxy has the changes made before the call (rejects when that sync failed).
   */
  private schedule(): Promise<void> {
    if (this.pending) return this.pending;
    const next = this.serial(() => {
      this.pending = undefined;
      return this.sync();
    }).then((s) => s.answered);
    this.pending = next;
    next.catch((err) => {
      this.logger.error({ err }, `could not program haproxy; trying again in ${RESYNC_MS}ms, or at the next change`);
      this.retrySoon();
    });
    return next;
  }

  /** One sync RESYNC_MS from now (a failed reload or failed slot commands), unless one is due already or the service stops. */
  private retrySoon(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.schedule().catch(() => undefined); // logged in schedule
    }, RESYNC_MS);
    this.retryTimer.unref();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Makes HAProxy match the registry: frontends (reload only when they changed), then every
   * backend's slots. Resolves once the slot commands are sent, with `answered`, which settles
   * when HAProxy has answered them. The next sync plans from what was sent and pipelines its
   * commands behind these on the same runtime API session (HAProxy runs a session's commands
   * in order), so a change never waits for the round trip of the change before it. Commands
   * that fail leave the slots unknown: every slot is set again soon after (RESYNC_MS).
   */
  private async sync(): Promise<{ answered: Promise<void> }> {
    const frontends = [...this.frontends.values()].sort((a, b) => a.name.localeCompare(b.name));
    const wanted = JSON.stringify(frontends.map((f) => Registration.toJSON(f)));
    let full = false;
    // A replica of this host is routed at its bridge address (route-address.ts); the networks are read again when a new bridge shows up.
    const nets = this.config.ORZO_PROXY_BRIDGE_ADDRESSES ? this.networks.for([...this.endpoints.values()].flat()) : [];
    const targets = (registration: string) =>
      (this.endpoints.get(registration) ?? []).map((e) => ({ ...e, ...routeAddress(e, nets, this.config.ORZO_PROXY_BRIDGE_ADDRESSES) }));
    if (wanted !== this.configured) {
      if (frontends.length === 0) return { answered: Promise.resolve() }; // HAProxy refuses to run without a listener
      await this.answered; // the commands sent to the worker being replaced are answered first
      // Until it is configured again, a failure here leaves `configured` unset: the next sync retries.
      this.configured = undefined;
      await this.haproxy.apply(frontends);
      this.configured = wanted;
      this.slots.clear();
      this.freed.clear();
      full = true;
    }
    if (this.resync) full = true;
    this.resync = false;
    // Every backend's commands go together: one round trip on the runtime API session.
    const commands: string[] = [];
    const next = new Map<string, Map<string, SlotAssignment>>();
    for (const f of frontends) {
      // endpoint_timeouts backends route to the same servers as the registration's own.
      for (const backend of backendsOf(f)) {
        const plan = planSlots(backend, this.slots.get(backend) ?? new Map(), targets(f.name), SLOTS, full, this.freed.get(backend));
        if (plan.overflow.length && backend === f.name)
          this.logger.error({ registration: f.name, notRouted: plan.overflow }, `all ${SLOTS} server slots are in use; endpoints not routed`);
        commands.push(...plan.commands);
        next.set(backend, plan.next);
        this.freed.set(backend, plan.freed);
      }
    }
    for (const [backend, slots] of next) this.slots.set(backend, slots);
    const answered = this.haproxy.runtime.command(commands).then(
      () => undefined,
      (err: unknown) => {
        this.resync = true;
        this.retrySoon();
        throw err;
      },
    );
    this.answered = answered.catch(() => undefined);
    return { answered };
  }
}
