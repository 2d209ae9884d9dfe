import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService, DiscoveryRegistryStore } from '@orzo/bus';
import { DrainRequest, InstanceSpec, ReplicaProblem, ReplicaRef, Rpcs, Subjects, secretRefsOf } from '@orzo/contracts';
import { FailedPreconditionError, InvalidArgumentError, LOGGER, Logger, NotFoundError, SERVICE_CONFIG, settleWithin } from '@orzo/platform';
import type { SchedulerBridgeConfig } from '../config';
import { Engine, ImageNotFoundError, Labels, Replica, Survey } from '../engine/engine';
import { ENGINES, Engines } from '../engine/engines';
import { DesiredInstance, DesiredStateRepository, instanceKey } from './desired-state.repository';
import { bounceMethod, happyFloor, planBounce } from './bounce';
import { isCurrentReplica } from './generation';
import { DiscoveryFollower } from './discovery-follower';
import { drainedEverywhere, routedByHostProxies } from './acknowledged-drain';
import { ProbeResult, probe } from './probe';
import { EngineAction, ReplicaProblems } from './replica-problems';
import { RestartBackoff, diedInCrashLoop } from './restart-backoff';
import { ReconcileMetrics } from './reconcile-metrics';

/**
 * Converges each cluster's engine (one Docker host, or a swarm) to the desired specs,
 * level-triggered: on a new desired spec, on engine events (a replica died or was removed, a
 * swarm node went down), when the engine's event stream comes back
 * after a restart, and on a timer. One instance is reconciled at a time (per-instance queue);
 * every pass re-reads desired and actual state, so a lost event, a crash of the bridge or a
 * container removed by hand never leaves the world wrong. An engine error on one replica
 * (remove, stop, start, inspect) is recorded on it and retried with backoff in the background
 * while the rest of the pass goes on, so one bad container never blocks its instance.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly deployStarted = new Map<string, number>();
  private readonly failed = new Set<string>();
  /** Per instance, the replicas of its current deploy seen dead before it completed (crash-loop detection). */
  private readonly crashed = new Map<string, { deployId: string; ids: Set<string> }>();
  private timer?: NodeJS.Timeout;
  private unwatch?: () => void;
  private stopping = false;
  private registry?: DiscoveryRegistryStore;
  private readonly problems = new ReplicaProblems();
  /** Crash restart backoff per instance (backoff_seconds, doubling). */
  private readonly backoff = new RestartBackoff();
  /** Replicas this process stopped (a drain): found dead later, they are no crash. */
  private readonly drained = new Set<string>();
  /** Replicas seen happy at least once (passed their check, UP in discovery): their death is no crash loop. */
  private readonly served = new Set<string>();
  /** Replicas being replaced for failing their health check (one replacement each). */
  private readonly replacing = new Set<string>();
  /** Per instance, the problems deploy.progressed last reported (published again only on a change). */
  private readonly reported = new Map<string, string>();
  /** Replicas this process has announced (instance.started), started by it or adopted, by id. */
  private readonly announced = new Map<string, { key: string; replica: Replica }>();
  /** Drains going on beside the passes (a bounce's, a scale-down's), by replica id: their end. */
  private readonly inDrain = new Map<string, Promise<void>>();
  /** Per registration, the instances whose bounce waits for a replica to be UP in discovery. */
  private readonly awaitingDiscovery = new Map<string, Set<string>>();
  /** Per instance, the registrations it waits under in `awaitingDiscovery`. */
  private readonly awaitedOf = new Map<string, string[]>();
  private follower?: DiscoveryFollower;
  /** The ids in `announced`, per instance. */
  private readonly announcedOf = new Map<string, Set<string>>();
  /** Per instance, when its queue last began a step (a pass, a replacement), on the `steps` clock. */
  private readonly touched = new Map<string, number>();
  private steps = 0;
  /** Per instance, the pass queued and not begun yet, which later asks join. */
  private readonly queued = new Map<string, QueuedPass>();
  /** The pass over every instance in hand, and the one asked for meanwhile (one at a time). */
  private allRunning?: Promise<void>;
  private allAgain?: Promise<void>;
  /** How many full passes a pass over every instance runs at once. */
  private readonly fullPasses = new Limit(16);

  constructor(
    @Inject(ENGINES) private readonly engines: Engines,
    private readonly desired: DesiredStateRepository,
    private readonly bus: BusService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: SchedulerBridgeConfig,
    private readonly metrics: ReconcileMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const unwatch = this.engines.distinct().map((engine) => this.watch(engine));
    this.unwatch = () => unwatch.forEach((stop) => stop());
    this.timer = setInterval(() => void this.requestAll(), this.config.ORZO_RECONCILE_INTERVAL_MS);
    this.timer.unref();
    this.follower = new DiscoveryFollower(
      () => this.discoveryRegistry(),
      (registration) => this.onDiscoveryChange(registration),
      this.logger,
    );
    this.follower.start();
    void this.requestAll();
  }

  /** A registration's endpoints changed: the bounces waiting on it look again now. */
  private onDiscoveryChange(registration: string): void {
    for (const key of this.awaitingDiscovery.get(registration) ?? []) {
      if (!this.stopping) void this.request(key);
    }
  }

  /**
   * Whether the instance's bounce waits for discovery (its next pass is also triggered by a
   * registry change), under the registrations of this spec only: one a newer deploy dropped
   * no longer brings passes.
   */
  private awaitDiscovery(spec: InstanceSpec, waiting: boolean): void {
    const key = instanceKey(spec);
    this.stopAwaitingDiscovery(key);
    if (!waiting) return;
    const names = spec.registrationDetails.filter((d) => d.proxyPort > 0).map((d) => d.name);
    for (const name of names) {
      let keys = this.awaitingDiscovery.get(name);
      if (!keys) this.awaitingDiscovery.set(name, (keys = new Set()));
      keys.add(key);
    }
    if (names.length) this.awaitedOf.set(key, names);
  }

  /** The instance waits for discovery under no registration (its bounce ended, or it has no desired state). */
  private stopAwaitingDiscovery(key: string): void {
    for (const name of this.awaitedOf.get(key) ?? []) {
      const keys = this.awaitingDiscovery.get(name);
      if (keys?.delete(key) && !keys.size) this.awaitingDiscovery.delete(name);
    }
    this.awaitedOf.delete(key);
  }

  private async discoveryRegistry(): Promise<DiscoveryRegistryStore> {
    this.registry ??= await DiscoveryRegistryStore.open(this.bus.connection);
    return this.registry;
  }

  /** Follows one engine's events: a replica that died or went, or a change that may touch any (a swarm node down). */
  private watch(engine: Engine): () => void {
    return engine.watch(
      (e) => {
        if (e.affectsAll) void this.requestAll();
        else if (['die', 'destroy', 'oom', 'stop'].includes(e.action)) {
          const l = e.labels;
          // A replica of a cluster this bridge does not run (another platform on the same engine) is not ours to look at.
          if (l[Labels.service] && this.engines.runs(l[Labels.cluster])) void this.request(`${l[Labels.service]}/${l[Labels.cluster]}/${l[Labels.instance]}`);
        }
      },
      {
        onBreak: (err, retryInMs) => this.logger.warn({ err, retryInMs }, 'docker events stream broke; reconnecting'),
        // A restarted engine does not replay what it did while down (containers it killed at
        // start-up without live-restore): look at every instance again.
        onReconnect: () => {
          this.logger.info('docker events stream reconnected; reconciling every instance');
          void this.requestAll();
        },
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.unwatch?.();
    this.follower?.stop();
    // A pass in hand may be draining a replica (drain delay, grace period): it gets a few
    // seconds, then is left; the next start re-reads desired and actual state and finishes it.
    await settleWithin(Promise.all([...this.chains.values(), ...this.inDrain.values()]), 4_000);
  }

  /**
   * A pass over every instance (the timer, an engine restart, a swarm node change). The desired
   * rows are read once and each cluster's engine is listed once (Orzo's replicas of that
   * cluster, grouped by instance), instead of a read and a listing per instance. An instance the
   * listing shows settled (see settled()) needs nothing and is left at that; every other one gets
   * the full pass, which reads its desired state and surveys its replicas afresh, as a pass
   * asked for that instance alone does. Resolves when every instance's pass ran.
   */
  requestAll(): Promise<void> {
    if (!this.allRunning) {
      this.allRunning = this.reconcileAll().finally(() => (this.allRunning = undefined));
      return this.allRunning;
    }
    // Asked while one runs (the timer, an event): one more after it, shared by every such ask.
    this.allAgain ??= this.allRunning.then(() => {
      this.allAgain = undefined;
      return this.requestAll();
    });
    return this.allAgain;
  }

  private async reconcileAll(): Promise<void> {
    if (this.stopping) return;
    const done = this.metrics.start();
    const all = await this.desired.all().catch(() => []);
    // Only instances with nothing in their queue now may trust the listing asked for below.
    const at = ++this.steps;
    const idle = all.filter((d) => !this.chains.has(d.key));
    const listed = await this.listClusters([...new Set(idle.map((d) => d.spec.cluster))]);
    const idleKeys = new Set(idle.map((d) => d.key));
    let full = 0;
    await Promise.all(
      all.map((d) => {
        const byKey = idleKeys.has(d.key) ? listed.get(d.spec.cluster) : undefined;
        // An instance its cluster's listing did not show has no replica.
        const survey = byKey && (byKey.get(d.key) ?? { replicas: [], unreadable: [] });
        return this.request(d.key, survey && { at, desired: d, survey }, () => full++);
      }),
    );
    done({ listings: listed.size, settled: all.length - full, full });
  }

  /**
   * One listing of Orzo's replicas per cluster, grouped by instance key (an instance without
   * replicas is absent). A cluster whose listing failed, or listed a replica it could
   * not place in an instance, is left out: its instances get the full pass.
   */
  private async listClusters(clusters: string[]): Promise<Map<string, Map<string, Survey>>> {
    const byCluster = new Map<string, Map<string, Survey>>();
    await Promise.all(
      clusters.map(async (cluster) => {
        const survey = await Promise.resolve()
          .then(() => this.engines.of(cluster).survey({ cluster }))
          .catch(() => undefined);
        if (!survey || survey.unreadable.some((u) => !u.service)) return;
        const byKey = new Map<string, Survey>();
        const of = (r: Pick<Replica, 'service' | 'instance' | 'cluster'>) => {
          const key = instanceKey(r);
          let s = byKey.get(key);
          if (!s) byKey.set(key, (s = { replicas: [], unreadable: [] }));
          return s;
        };
        for (const r of survey.replicas) of(r).replicas.push(r);
        for (const u of survey.unreadable) of(u as Pick<Replica, 'service' | 'instance' | 'cluster'>).unreadable.push(u);
        byCluster.set(cluster, byKey);
      }),
    );
    return byCluster;
  }

  /**
   * Queues a reconcile of one instance (coalesced with a pending one); resolves when it ran.
   * `seen`: what a pass over every instance listed of it, for settled(); `onFullPass`: called
   * when it is not settled.
   */
  request(key: string, seen?: Seen, onFullPass?: () => void): Promise<void> {
    // A pass queued behind a running one, and last in the queue, takes this ask too: an
    // instance never has more than one pass waiting, however often passes are asked for
    // (a timer faster than a pass over 10,000 instances would otherwise pile them up).
    const waiting = this.queued.get(key);
    if (waiting && this.chains.get(key) === waiting.done) {
      // An ask without a listing (an event, a deploy) makes it a full pass; else the newer listing counts.
      if (!seen || waiting.seen) waiting.seen = seen;
      if (onFullPass) waiting.onFullPass.push(onFullPass);
      return waiting.done;
    }
    const step: QueuedPass = { seen, onFullPass: onFullPass ? [onFullPass] : [], done: Promise.resolve() };
    this.queued.set(key, step);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => {
        if (this.queued.get(key) === step) this.queued.delete(key);
        if (this.stopping || (step.seen && this.settled(key, step.seen))) return undefined;
        // Asked by a pass over every instance: a few at a time, so 10,000 instances needing a
        // full pass (the first pass after a start) are not 10,000 passes at once.
        if (step.onFullPass.length) {
          step.onFullPass.forEach((counted) => counted());
          return this.fullPasses.run(() => this.reconcile(key));
        }
        return this.reconcile(key);
      })
      .catch((err: unknown) => this.logger.error({ err, instance: key }, 'reconcile failed; the next pass retries'));
    step.done = next;
    this.chains.set(key, next);
    void next.finally(() => this.chains.get(key) === next && this.chains.delete(key));
    return next;
  }

  /**
   * Whether a pass over every instance can leave this one alone: its listing is not older than
   * anything its queue did, its deploy completed, and its replicas are all running, of the
   * desired version, as many as desired (none when stopped), all announced, with no engine
   * error or crash backoff to report. The full pass would do nothing then but probe replicas
   * (which monitor-bridge checks anyway) and mark completed a deploy already marked.
   */
  private settled(key: string, { at, desired, survey }: Seen): boolean {
    if ((this.touched.get(key) ?? 0) > at) return false;
    if (desired.completedDeployId !== desired.deployId || survey.unreadable.length) return false;
    if (this.problemSignature(key) || this.reported.get(key)) return false;
    const replicas = survey.replicas;
    const announced = this.announcedOf.get(key);
    if ((announced?.size ?? 0) !== replicas.length || !replicas.every((r) => r.running && announced!.has(r.id))) return false;
    const spec = desired.spec;
    if (spec.desiredState === 'stop') return replicas.length === 0;
    return replicas.length === spec.replicas && replicas.every((r) => isCurrentReplica(r, spec));
  }

  /** Marks the start of a step in the instance's queue. */
  private touch(key: string): void {
    this.touched.set(key, ++this.steps);
  }

  /** Records a replica as announced (instance.started published) for its instance. */
  private noteAnnounced(key: string, r: Replica): void {
    this.announced.set(r.id, { key, replica: r });
    let ids = this.announcedOf.get(key);
    if (!ids) this.announcedOf.set(key, (ids = new Set()));
    ids.add(r.id);
  }

  /** A replica is no longer counted as announced (it stopped, or its announcement failed). */
  private forgetAnnounced(id: string): void {
    const key = this.announced.get(id)?.key;
    this.announced.delete(id);
    if (key === undefined) return;
    const ids = this.announcedOf.get(key);
    if (ids?.delete(id) && !ids.size) this.announcedOf.delete(key);
  }

  private async reconcile(key: string): Promise<void> {
    this.touch(key);
    const desired = await this.desired.get(key);
    if (!desired) {
      this.stopAwaitingDiscovery(key);
      return;
    }
    let ready: number | undefined;
    const background: Array<() => Promise<unknown>> = [];
    try {
      ready = await this.converge(key, desired, background);
    } finally {
      await Promise.all(background.map((run) => run()));
      await this.reportProblems(desired, ready);
    }
  }

  /**
   * One pass; resolves to the happy replicas of the desired version when they were probed.
   * Work that need not hold the pass (removing the dead) goes into `background`, run after it.
   */
  private async converge(key: string, desired: DesiredInstance, background: Array<() => Promise<unknown>>): Promise<number | undefined> {
    const spec = desired.spec;
    const listed = await this.survey(key, spec);
    // A replica being drained beside the passes is its drain's: neither counted nor touched here.
    const all = listed.filter((r) => !this.inDrain.has(r.id));
    /** The instance's replicas draining beside the passes now (drains this pass starts included). */
    const draining = () => listed.filter((r) => this.inDrain.has(r.id)).length;
    this.recordCrashes(desired, all);
    await this.checkCrashLoop(
      desired,
      all.filter((r) => !r.running),
    );
    // The dead are announced stopped now and removed after the pass: their replacements need
    // nothing of it, and an engine still cleaning up a container that just died starts the
    // replacement sooner when not asked to remove it at the same time.
    background.push(...(await Promise.all(all.filter((r) => !r.running).map((dead) => this.removeDead(key, dead, spec)))));
    const running = all.filter((r) => r.running);
    await this.announceAdopted(running, desired);
    await this.announceVanished(listed, desired);
    if (spec.desiredState === 'stop') {
      this.stopAwaitingDiscovery(key);
      await Promise.all(running.map((r) => this.drain(key, r, spec, 'stopped')));
      return 0;
    }
    // A replica of another restart generation (`orzo restart`) is old too: replaced by the bounce method.
    const isCurrent = (r: Replica) => isCurrentReplica(r, spec);
    let old = running.filter((r) => !isCurrent(r));
    let current = running.filter(isCurrent);
    const bouncing = old.length > 0;
    const n = spec.replicas;
    const method = bounceMethod(spec.bounce?.method);
    const marginFactor = spec.bounce?.marginFactor || 1;
    const probed = new Map<string, ProbeResult>();
    const happyOf = (replicas: Replica[]) => replicas.map((r) => ({ replica: r, happy: probed.get(r.id)?.ok ?? false }));
    // Starting is attempted once per pass: a start the engine refused is retried with backoff,
    // and meanwhile the pass goes on with what runs.
    let startTried = false;
    // Observe, ask planBounce, act, ask again: starts first; no replica is drained before every
    // replica whose happiness could change that decision has been probed in this pass.
    for (;;) {
      const plan = planBounce({
        n,
        marginFactor,
        method,
        overprovisionFactor: spec.bounce?.overprovisionFactor,
        old: happyOf(old),
        new: happyOf(current),
        draining: draining(),
      });
      if (plan.start > 0 && !startTried) {
        startTried = true;
        // A crash loop waits out its backoff; the pass goes on with what runs.
        const waitMs = this.backoff.waitMs(key, desired.deployId);
        if (waitMs > 0) {
          if (!this.stopping) setTimeout(() => void this.request(key), waitMs + 10).unref();
        } else if (this.problems.due(key, '', 'start')) {
          const started = await this.start(desired, plan.start);
          if (!started) return undefined;
          current = [...current, ...started];
          continue;
        }
      }
      // Old replicas matter only if some are kept: a plan that drains them all cannot change.
      const unprobed = [...current, ...(plan.drain.length < old.length ? old : [])].filter((r) => !probed.has(r.id));
      if (unprobed.length) {
        const up = await this.upInDiscovery(spec);
        await Promise.all(unprobed.map(async (r) => probed.set(r.id, await this.happy(spec, r, up))));
        continue;
      }
      if (plan.drain.length === 0 && plan.surplus.length === 0) break;
      const reason = method === 'downthenup' ? 'bounce (downthenup)' : `bounce to ${spec.gitSha.slice(0, 8)}`;
      const drains: Array<[Replica, string]> = [
        ...plan.drain.map((r): [Replica, string] => [r, reason]),
        ...plan.surplus.map((r): [Replica, string] => [r, 'scaled down']),
      ];
      // downthenup starts nothing before every old replica is gone: its pass waits for the
      // drains. The others drain beside the passes, so a replica becoming UP in discovery
      // meanwhile lets the next old one go at once, not after this one's drain delay.
      if (method === 'downthenup') await Promise.all(drains.map(([r, why]) => this.drain(key, r, spec, why)));
      else for (const [r, why] of drains) this.drainBeside(key, r, spec, why);
      old = old.filter((r) => !plan.drain.includes(r));
      current = current.filter((r) => !plan.surplus.includes(r));
    }
    const happy = current.filter((r) => probed.get(r.id)?.ok).length;
    const floor = happyFloor(n, marginFactor);
    if (bouncing) {
      await this.publishProgress(desired, 'bouncing', `${happy}/${n} new replicas happy, ${old.length} old left`, happy, n, this.noteReported(key));
    }
    this.awaitDiscovery(spec, !(old.length === 0 && happy >= floor));
    // The deploy completes once the drains it started are over too (their end brings a pass).
    if (old.length === 0 && happy >= floor && draining() > 0) return happy;
    if (old.length === 0 && happy >= floor) {
      if (await this.desired.markCompleted(key, desired.deployId)) {
        this.deployStarted.delete(desired.deployId);
        await this.bus.publish(
          Subjects.DeployCompleted,
          {
            deployId: desired.deployId,
            service: spec.service,
            instance: spec.instance,
            cluster: spec.cluster,
            image: spec.image,
            gitSha: spec.gitSha,
            configHash: spec.configHash,
          },
          { id: `${desired.deployId}:${key}:completed`, correlationId: desired.deployId },
        );
        this.logger.info({ instance: key, deployId: desired.deployId }, 'deploy completed');
      }
      return happy;
    }
    await this.checkTimeout(
      desired,
      current.flatMap((r) => {
        const p = probed.get(r.id);
        return p && !p.ok ? [{ r, output: p.output }] : [];
      }),
    );
    // Not converged yet: look again soon, so a bounce advances as replicas become happy.
    if (!this.stopping) setTimeout(() => void this.request(key), 200).unref();
    return happy;
  }

  /**
   * The instance's containers as the engine shows them. One it cannot inspect is a problem of
   * that replica (left alone, tried again next pass); the engine not answering at all is the
   * instance's problem, and the pass stops there (the timer and the events stream's
   * reconnection bring the next one).
   */
  private async survey(key: string, spec: InstanceSpec): Promise<Replica[]> {
    let survey: Survey;
    try {
      survey = await this.engines.of(spec.cluster).survey({ service: spec.service, instance: spec.instance, cluster: spec.cluster });
    } catch (err) {
      this.problems.fail(key, undefined, 'list', err);
      throw err;
    }
    this.problems.clearInstanceWide(key, 'list');
    this.problems.keepOnly(key, new Set([...survey.replicas, ...survey.unreadable].map((r) => r.id)));
    for (const r of survey.replicas) this.problems.succeed(key, r.id, 'inspect');
    for (const u of survey.unreadable) {
      const retryInMs = this.problems.fail(key, u, 'inspect', u.error);
      this.logger.warn({ instance: key, replica: u.id, err: u.error, retryInMs }, 'cannot inspect a replica; the rest of the instance goes on');
    }
    return survey.replicas;
  }

  /**
   * A dead replica is announced stopped (it serves nothing: discovery and the read models drop
   * it); returned is its removal, for the caller to run. A removal the engine refuses (overlayfs
   * busy after an engine restart) is retried with backoff while replacements start.
   */
  private async removeDead(key: string, dead: Replica, spec: InstanceSpec): Promise<() => Promise<void>> {
    // Announced once (a removal being retried was announced at its first attempt).
    if (!this.problems.has(key, dead.id, 'remove'))
      await this.publishStopped(dead, spec, dead.lost ?? (dead.oomKilled ? 'oom-killed' : `exited with code ${dead.exitCode ?? '?'}`));
    return async () => {
      if (!this.problems.due(key, dead.id, 'remove')) return;
      if (await this.attempt(key, dead, 'remove', () => this.engines.of(spec.cluster).remove(dead.id))) this.forget(dead.id);
    };
  }

  /** A replica removed: nothing about it is kept. */
  private forget(id: string): void {
    this.drained.delete(id);
    this.served.delete(id);
  }

  /** Runs one engine call on one replica: a failure is recorded and retried later, never thrown. */
  private async attempt(key: string, r: { id: string; name: string } | undefined, action: EngineAction, call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
    } catch (err) {
      this.retryLater(key, r, action, err);
      return false;
    }
    this.problems.succeed(key, r?.id ?? '', action);
    return true;
  }

  /** Records a failed engine call and schedules a pass for when its backoff is over. */
  private retryLater(key: string, r: { id: string; name: string } | undefined, action: EngineAction, err: unknown): void {
    const retryInMs = this.problems.fail(key, r, action, err);
    this.logger.warn({ instance: key, replica: r?.id, action, err, retryInMs }, `${action} failed; retrying in the background while the instance converges`);
    if (!this.stopping) setTimeout(() => void this.request(key), retryInMs + 10).unref();
  }

  /** Marks the current problems as reported and returns them. */
  private noteReported(key: string): ReplicaProblem[] {
    this.reported.set(key, this.problemSignature(key));
    const backoff = this.backoff.problem(key);
    return backoff ? [backoff, ...this.problems.list(key)] : this.problems.list(key);
  }

  /** Engine errors and the crash backoff of an instance, in a form that changes when they do. */
  private problemSignature(key: string): string {
    return [this.backoff.signature(key), this.problems.signature(key)].filter(Boolean).join(',');
  }

  /**
   * Replicas of the desired generation found dead that this process did not stop, and that
   * did not go with their node, are crashes: they feed the instance's restart backoff.
   */
  private recordCrashes(desired: DesiredInstance, all: Replica[]): void {
    const crashed = all.filter((r) => !r.running && !r.lost && !this.drained.has(r.id) && isCurrentReplica(r, desired.spec));
    if (!crashed.length) return;
    this.backoff.record(
      desired.key,
      desired.deployId,
      crashed.map((r) => ({
        id: r.id,
        reason: r.oomKilled ? 'oom-killed' : `exited with code ${r.exitCode ?? '?'}`,
        crash: this.inCrashLoop(desired.spec, r),
      })),
      desired.spec.backoffSeconds,
    );
  }

  /** Whether a dead replica's death counts for the crash backoff: it never started fine (restart-backoff.ts). */
  private inCrashLoop(spec: InstanceSpec, r: Replica): boolean {
    const checked = (spec.healthcheck?.mode ?? 'none') !== 'none';
    return diedInCrashLoop({ checked, passedCheck: this.served.has(r.id), startedAt: r.startedAt, finishedAt: r.finishedAt });
  }

  /**
   * Publishes deploy.progressed when the instance's problems changed since last told (a new
   * one, another failed attempt, or all resolved), so `orzo status` says why it is stuck.
   */
  private async reportProblems(desired: DesiredInstance, ready: number | undefined): Promise<void> {
    const key = desired.key;
    if (this.problemSignature(key) === (this.reported.get(key) ?? '')) return;
    const problems = this.noteReported(key);
    const [first] = problems;
    await this.publishProgress(
      desired,
      first ? 'degraded' : 'recovered',
      first?.action === 'backoff'
        ? `crash loop: ${first.attempts} crash(es) in a row (last: ${first.error}), next start at ${first.nextRetryAt}`
        : first
          ? `${problems.length} engine error(s), retried in the background: ${first.action} of ${first.replicaName || 'the instance'} failed ${first.attempts}x: ${first.error}`
          : 'engine errors resolved',
      ready ?? 0,
      desired.spec.replicas,
      problems,
    );
  }

  /** deploy.progressed of one instance: where its deploy stands and the replica problems now. */
  private async publishProgress(
    desired: DesiredInstance,
    phase: string,
    message: string,
    ready: number,
    count: number,
    problems: ReplicaProblem[],
  ): Promise<void> {
    const spec = desired.spec;
    await this.bus.publish(
      Subjects.DeployProgressed,
      { deployId: desired.deployId, service: spec.service, instance: spec.instance, cluster: spec.cluster, phase, message, ready, desired: count, problems },
      { correlationId: desired.deployId },
    );
  }

  /**
   * `orzo restart --replica`: replaces one replica of the instance in its reconcile queue (never
   * beside another pass). A replacement is started first and given until it is happy (healthy
   * and UP in discovery; at most the grace period plus a minute), then the replica is drained
   * through discovery and stopped: even an instance of one replica keeps serving. Resolves at
   * once with the replica (the replacement goes on in the background), 'ambiguous' when the id
   * prefix matches several, undefined when the instance has no such running replica.
   */
  async replaceReplica(key: string, replicaId: string, by: string): Promise<Replica | 'ambiguous' | undefined> {
    const desired = await this.desired.get(key);
    if (!desired || desired.spec.desiredState === 'stop') return undefined;
    const spec = desired.spec;
    const replicas = (await this.engines.of(spec.cluster).list({ service: spec.service, instance: spec.instance, cluster: spec.cluster })).filter(
      (r) => r.running,
    );
    const matches = replicas.filter((r) => r.id.startsWith(replicaId) || r.name === replicaId);
    if (matches.length > 1) return 'ambiguous';
    const target = matches[0];
    if (!target) return undefined;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (this.stopping) return;
        this.touch(key);
        const [replacement] = (await this.start(desired, 1)) ?? [];
        if (replacement) await this.untilHappy(spec, replacement, ((spec.healthcheck?.gracePeriodSeconds ?? 0) + 60) * 1000);
        await this.drain(key, target, spec, `restarted by ${by}`);
      })
      .catch((err: unknown) => this.logger.error({ err, instance: key, replica: target.id }, 'restart of a replica failed; the next pass converges'));
    this.chains.set(key, next);
    void next.finally(() => this.chains.get(key) === next && this.chains.delete(key));
    return target;
  }

  /**
   * A replica past its grace period that failed `healthcheck_max_consecutive_failures` checks in
   * a row (monitor-bridge's instance.unhealthy) is replaced, as Marathon does, in the instance's
   * reconcile queue: a replacement is started first and given until it is happy, then the
   * unhealthy one is drained (reason "replaced: failed N health checks"). The unhealthy replica
   * serves nothing (discovery took it out), so draining it never takes the instance below its
   * bounce margin; one that passes its check again by then is kept. Replicas of another
   * generation, and every replica while the instance's deploy has not completed, are the
   * bounce's (a version that never passes fails its deploy instead); a replica already being
   * replaced is left alone.
   */
  replaceUnhealthy(key: string, replicaId: string, failures: number): Promise<void> {
    if (this.replacing.has(replicaId)) return Promise.resolve();
    this.replacing.add(replicaId);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        this.touch(key);
        const desired = await this.desired.get(key);
        if (this.stopping || !desired || desired.spec.desiredState === 'stop') return;
        const spec = desired.spec;
        if (failures < (spec.healthcheck?.maxConsecutiveFailures || 1)) return;
        // A deploy in progress is the bounce's: its new replicas that never pass fail it (timeout,
        // auto_rollback), and a replacement waiting here would hold the instance's queue.
        if (desired.completedDeployId !== desired.deployId) {
          this.logger.info({ instance: key, replica: replicaId }, 'an unhealthy replica of a deploy still in progress is left to the bounce');
          return;
        }
        const engine = this.engines.of(spec.cluster);
        const target = (await engine.list({ service: spec.service, instance: spec.instance, cluster: spec.cluster })).find(
          (r) => r.id === replicaId && r.running,
        );
        if (!target || !isCurrentReplica(target, spec)) return;
        // A redelivered or late event: the replica may pass again by now.
        if ((await probe(spec, target, engine)).ok) {
          this.logger.info({ instance: key, replica: target.id }, 'a replica reported unhealthy passes its check again; not replaced');
          return;
        }
        const reason = `replaced: failed ${failures} health checks`;
        this.logger.warn({ instance: key, replica: target.id, failures }, 'replacing a replica that keeps failing its health check');
        const [replacement] = (await this.start(desired, 1)) ?? [];
        const replacementHappy = replacement ? await this.untilHappy(spec, replacement, ((spec.healthcheck?.gracePeriodSeconds ?? 0) + 60) * 1000) : false;
        if (!replacementHappy && (await probe(spec, target, engine)).ok) return;
        await this.drain(key, target, spec, reason);
      })
      .catch((err: unknown) => this.logger.error({ err, instance: key, replica: replicaId }, 'replacing an unhealthy replica failed; the next report retries'))
      .finally(() => this.replacing.delete(replicaId));
    this.chains.set(key, next);
    void next.finally(() => this.chains.get(key) === next && this.chains.delete(key));
    return next;
  }

  /** Probes a new replica until it is happy or `withinMs` passed; whether it became happy. */
  private async untilHappy(spec: InstanceSpec, r: Replica, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (!this.stopping && Date.now() < deadline) {
      if ((await this.happy(spec, r, await this.upInDiscovery(spec))).ok) return true;
      await new Promise((res) => setTimeout(res, 250));
    }
    this.logger.warn(
      { instance: instanceKey(spec), replica: r.id },
      'the replacement of a restarted replica is not happy in time; draining the old one anyway',
    );
    return false;
  }

  /**
   * Starts `count` replicas together (a deploy costs about one container start, not n) and
   * announces each; undefined when the image does not exist (the deploy is failed, what runs
   * stays).
   */
  private async start(desired: DesiredInstance, count: number): Promise<Replica[] | undefined> {
    const spec = await this.withSecrets(desired);
    if (spec === 'failed') return undefined;
    if (!spec) return [];
    const engine = this.engines.of(spec.cluster);
    const started: Replica[] = [];
    // Each replica is announced as soon as it runs (its health checks begin then), not once all have.
    const results = await Promise.allSettled(
      Array.from({ length: count }, async () => {
        const r = await engine.run(spec);
        started.push(r);
        this.noteAnnounced(desired.key, r);
        await this.bus
          .publish(
            Subjects.InstanceStarted,
            { replica: ref(r, spec), image: spec.image, registrations: spec.registrations },
            { id: `${r.id}:started`, correlationId: desired.deployId },
          )
          .catch((err: unknown) => {
            // Announced by the next pass instead (announceAdopted, same event id).
            this.forgetAnnounced(r.id);
            this.logger.warn({ err, instance: desired.key, replica: r.id }, 'could not announce a started replica; the next pass does');
          });
      }),
    );
    let refused: unknown;
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      if (!(result.reason instanceof ImageNotFoundError)) {
        refused = result.reason;
        continue;
      }
      await this.fail(desired, result.reason.message, 'no replica can start');
      return undefined;
    }
    if (refused === undefined) this.problems.succeed(desired.key, '', 'start');
    else this.retryLater(desired.key, undefined, 'start', refused);
    return started;
  }

  /**
   * The spec with each SECRET(name) / SHARED_SECRET(name) of its env replaced by the value,
   * asked of control-api just before the start (values are in no event and nowhere durable
   * here; only the engine's container config holds them). A secret the store lacks, or a
   * control-api without a key, fails the deploy naming it ('failed'); control-api not answering
   * is retried with backoff (undefined). The resolved spec is never logged.
   */
  private async withSecrets(desired: DesiredInstance): Promise<InstanceSpec | 'failed' | undefined> {
    const spec = desired.spec;
    const refs = secretRefsOf(spec.env ?? {}, spec.service);
    if (!refs.size) return spec;
    try {
      const answer = await this.bus.request(
        Rpcs.secretValues,
        { service: spec.service, instance: spec.instance, cluster: spec.cluster, refs: [...refs.values()].map((r) => ({ service: r.service, name: r.name })) },
        { timeout: 5_000 },
      );
      const env = { ...spec.env };
      for (const v of answer.values) for (const name of refs.get(`${v.service}/${v.name}`)?.vars ?? []) env[name] = v.value;
      return { ...spec, env };
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof FailedPreconditionError || err instanceof InvalidArgumentError) {
        await this.fail(desired, `secrets: ${err.message}`, 'no replica can start');
        return 'failed';
      }
      this.retryLater(desired.key, undefined, 'start', err);
      return undefined;
    }
  }

  /**
   * A running replica this process did not start (a bridge killed between starting it and
   * announcing it) is announced now, under the event id of its start: one already announced is
   * de-duplicated by JetStream and by every consumer's processed-event table; one never
   * announced gets health-checked and a place in discovery, so the bounce can go on.
   */
  private async announceAdopted(running: Replica[], desired: DesiredInstance): Promise<void> {
    for (const r of running.filter((x) => !this.announced.has(x.id))) {
      await this.bus.publish(
        Subjects.InstanceStarted,
        { replica: ref(r, desired.spec), image: r.image, registrations: desired.spec.registrations },
        { id: `${r.id}:started`, correlationId: desired.deployId },
      );
      this.noteAnnounced(desired.key, r);
    }
  }

  /**
   * A replica announced here that the engine no longer lists was removed outside Orzo
   * (`docker rm -f`): no `die` of ours will report it, so it is announced stopped now, or
   * monitor-bridge and the status would keep a replica that is gone.
   */
  private async announceVanished(listed: Replica[], desired: DesiredInstance): Promise<void> {
    const ids = new Set(listed.map((r) => r.id));
    for (const id of [...(this.announcedOf.get(desired.key) ?? [])]) {
      const replica = this.announced.get(id)?.replica;
      if (replica && !ids.has(id)) await this.publishStopped(replica, desired.spec, 'removed outside Orzo');
    }
  }

  /** The replica ids UP in discovery, per registration with a local proxy (read once per probe round). */
  private async upInDiscovery(spec: InstanceSpec): Promise<Map<string, Set<string>>> {
    const up = new Map<string, Set<string>>();
    for (const reg of spec.registrationDetails.filter((d) => d.proxyPort > 0)) {
      up.set(reg.name, new Set((await (await this.discoveryRegistry()).endpoints(reg.name)).map((e) => e.replicaId)));
    }
    return up;
  }

  /**
   * A replica is happy when it passes its health check and, for each registration with a
   * local proxy, is UP in discovery (present in the shared endpoint registry, which is what
   * HAProxy routes to): only then may an old replica be drained.
   */
  private async happy(spec: InstanceSpec, r: Replica, up: Map<string, Set<string>>): Promise<{ ok: boolean; output: string }> {
    const checked = await probe(spec, r, this.engines.of(spec.cluster));
    if (!checked.ok) return checked;
    // bounce_health_params.min_task_uptime: healthy is not enough until it has run that long.
    const minUptime = spec.bounce?.minTaskUptimeSeconds ?? 0;
    const upFor = r.startedAt ? (Date.now() - Date.parse(r.startedAt)) / 1000 : Infinity;
    if (minUptime > 0 && upFor < minUptime) return { ok: false, output: `${checked.output}; up ${upFor.toFixed(1)}s of min_task_uptime ${minUptime}s` };
    // bounce_health_params.check_haproxy: false: discovery is not waited for.
    if (!spec.bounce?.skipHaproxyCheck) {
      for (const [registration, ids] of up) {
        if (!ids.has(r.id)) return { ok: false, output: `${checked.output}; not yet UP in discovery for ${registration}` };
      }
    }
    this.served.add(r.id);
    return checked;
  }

  private async checkTimeout(desired: DesiredInstance, unhappy: Array<{ r: Replica; output: string }>): Promise<void> {
    if (desired.completedDeployId === desired.deployId || this.failed.has(desired.deployId)) return;
    const started = this.deployStarted.get(desired.deployId) ?? Date.now();
    this.deployStarted.set(desired.deployId, started);
    if (Date.now() - started < this.config.ORZO_DEPLOY_TIMEOUT_S * 1000) return;
    const detail = unhappy.map((u) => `replica ${u.r.name}: ${u.output}`).join('; ') || 'old replicas could not be drained';
    await this.fail(desired, `not converged after ${this.config.ORZO_DEPLOY_TIMEOUT_S}s`, detail);
  }

  /**
   * New replicas that keep exiting before the deploy completed are a crash loop: the deploy is
   * failed once ORZO_CRASHLOOP_EXITS of them died, without waiting for the deploy timeout (an
   * auto_rollback then goes back at once). It keeps converging, like any failed deploy.
   */
  private async checkCrashLoop(desired: DesiredInstance, dead: Replica[]): Promise<void> {
    const spec = desired.spec;
    if (desired.completedDeployId === desired.deployId || spec.desiredState === 'stop') return;
    // A replica lost with its node (swarm) did not exit: no sign of a crash loop.
    const mine = dead.filter((r) => !r.lost && r.gitSha === spec.gitSha && r.configHash === spec.configHash && this.inCrashLoop(spec, r));
    if (!mine.length) return;
    let seen = this.crashed.get(desired.key);
    if (seen?.deployId !== desired.deployId) this.crashed.set(desired.key, (seen = { deployId: desired.deployId, ids: new Set() }));
    for (const r of mine) seen.ids.add(r.id);
    if (seen.ids.size < this.config.ORZO_CRASHLOOP_EXITS) return;
    const last = mine[mine.length - 1]!;
    await this.fail(
      desired,
      `crash loop: ${seen.ids.size} replicas of ${spec.gitSha.slice(0, 8)} exited before the deploy completed`,
      `replica ${last.name}: ${last.oomKilled ? 'OOM-killed' : `exited with code ${last.exitCode ?? '?'}`}`,
    );
  }

  /** Reports a deploy failed once, with which replica and which check (it keeps converging). */
  private async fail(desired: DesiredInstance, reason: string, detail: string): Promise<void> {
    if (this.failed.has(desired.deployId)) return;
    this.failed.add(desired.deployId);
    const s = desired.spec;
    await this.bus.publish(
      Subjects.DeployFailed,
      { deployId: desired.deployId, service: s.service, instance: s.instance, cluster: s.cluster, reason, detail },
      { id: `${desired.deployId}:${desired.key}:failed`, correlationId: desired.deployId },
    );
    this.logger.error({ instance: desired.key, deployId: desired.deployId, reason, detail }, 'deploy failed');
  }

  /**
   * A drain beside the passes: the next pass leaves the replica to it, and its end (stopped,
   * or an engine error retried with backoff) brings the instance's next pass.
   */
  private drainBeside(key: string, r: Replica, spec: InstanceSpec, reason: string): void {
    if (this.inDrain.has(r.id)) return;
    const done = this.drain(key, r, spec, reason)
      .catch((err: unknown) => {
        this.logger.error({ err, instance: key, replica: r.id }, 'drain failed; the next pass retries');
        return false;
      })
      .then((stopped) => {
        this.inDrain.delete(r.id);
        if (stopped && !this.stopping) void this.request(key);
      });
    this.inDrain.set(r.id, done);
  }

  /**
   * Out of rotation first (announced as unhealthy "draining", which discovery turns into
   * maintenance in HAProxy), then the drain delay, SIGTERM with the grace period, remove.
   * Whether the replica was stopped (false: an engine error, retried with backoff).
   */
  private async drain(key: string, r: Replica, spec: InstanceSpec, reason: string): Promise<boolean> {
    // A replica whose stop or removal failed waits for its backoff; the pass goes on.
    if (!this.problems.due(key, r.id, 'stop') || !this.problems.due(key, r.id, 'remove')) return false;
    if (r.running && spec.registrations.length) {
      await this.bus.publish(
        Subjects.InstanceUnhealthy,
        { replica: ref(r, spec), checkOutput: `draining: ${reason}`, consecutiveFailures: 0, registrations: spec.registrations },
        { id: `${r.id}:draining` },
      );
    }
    const engine = this.engines.of(spec.cluster);
    this.drained.add(r.id);
    if (r.running) await this.beforeStop(key, r, spec, engine);
    if (!(await this.attempt(key, r, 'stop', () => engine.stop(r.id, spec.bounce?.terminationGracePeriodSeconds ?? 30)))) return false;
    // Stopped, it serves nothing: announced even when the removal must be retried.
    await this.publishStopped(r, spec, reason);
    if (await this.attempt(key, r, 'remove', () => engine.remove(r.id))) this.forget(r.id);
    return true;
  }

  /**
   * What happens between out of rotation and SIGTERM: the drain method (noop: nothing to wait
   * for; hacheck: the drain delay; http: drain_method_params.drain called, then is_safe_to_kill
   * polled each second for at most the drain delay, or 120 s), then lifecycle.pre_stop_command
   * run in the replica (bounded by the grace period), then pre_stop_drain_seconds. Each wait is
   * capped at 120 s; a drain request or pre-stop command that fails is logged and the stop goes on.
   */
  private async beforeStop(key: string, r: Replica, spec: InstanceSpec, engine: Engine): Promise<void> {
    const b = spec.bounce;
    const sleep = (seconds: number) => new Promise((res) => setTimeout(res, Math.min(seconds, 120) * 1000));
    const log = (msg: string, extra: object = {}) => this.logger.warn({ instance: key, replica: r.id, ...extra }, msg);
    if (b?.drainMethod === 'http' && b.httpDrain) {
      const calls = drainUrls(b.httpDrain.drain, spec, r);
      for (const c of calls) {
        const res = await drainRequest(c);
        if (!res.ok) log(`drain_method http: drain request failed; stopping it anyway`, { url: c.url, result: res.output });
      }
      const safe = drainUrls(b.httpDrain.isSafeToKill, spec, r);
      const deadline = Date.now() + Math.min(b.drainDelaySeconds || 120, 120) * 1000;
      if (safe.length) {
        while (!this.stopping && Date.now() < deadline) {
          if ((await Promise.all(safe.map(drainRequest))).every((x) => x.ok)) break;
          await sleep(1);
        }
      } else await sleep(b.drainDelaySeconds ?? 0);
    } else if (b?.drainMethod !== 'noop') {
      // hacheck: the drain delay, unless every host's HAProxy confirms sooner that the replica
      // is out of rotation with no session open (the acknowledged drain; the delay stays the bound).
      const delayMs = Math.min(b?.drainDelaySeconds ?? 0, 120) * 1000;
      const until = Date.now() + delayMs;
      const ack =
        delayMs > 0 && routedByHostProxies(spec)
          ? await this.discoveryRegistry()
              .then((registry) => drainedEverywhere(this.bus, registry, r, delayMs))
              .catch((err: Error) => ({ drained: false, detail: err.message }))
          : undefined;
      if (ack && !ack.drained)
        this.logger.info({ instance: key, replica: r.id, detail: ack.detail }, 'drain not confirmed by every host; waiting out the drain delay');
      if (!ack?.drained) await sleep(Math.max(until - Date.now(), 0) / 1000);
    }
    if (b?.preStopCommand?.length) {
      if (!engine.runIn) log('lifecycle.pre_stop_command is not run on this engine (a swarm replica may run on another node)');
      else {
        const res = await engine
          .runIn(r.id, b.preStopCommand, Math.max((b.terminationGracePeriodSeconds || 30) * 1000, 1000))
          .catch((err: Error) => ({ exitCode: -1, output: err.message }));
        if (res.exitCode !== 0) log(`lifecycle.pre_stop_command exited with ${res.exitCode}; stopping it anyway`, { output: res.output.slice(-500) });
      }
    }
    if (b?.preStopDrainSeconds) await sleep(b.preStopDrainSeconds);
  }

  private async publishStopped(r: Replica, spec: InstanceSpec, reason: string): Promise<void> {
    this.forgetAnnounced(r.id);
    await this.bus.publish(
      Subjects.InstanceStopped,
      { replica: ref(r, spec), reason, exitCode: r.exitCode ?? 0, oomKilled: r.oomKilled ?? false },
      { id: `${r.id}:stopped` },
    );
  }
}

/** Runs at most `n` of the functions given at once, the others in turn. */
class Limit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly n: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) await new Promise<void>((go) => this.waiting.push(go));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** A pass of one instance waiting in its queue: what it may use to find it settled, who counts full passes. */
interface QueuedPass {
  seen?: Seen;
  onFullPass: Array<() => void>;
  done: Promise<void>;
}

/** What a pass over every instance listed of one: when it asked (the `steps` clock), its desired row, its replicas. */
interface Seen {
  at: number;
  desired: DesiredInstance;
  survey: Survey;
}

function ref(r: Replica, spec: InstanceSpec): ReplicaRef {
  return {
    service: spec.service,
    instance: spec.instance,
    cluster: spec.cluster,
    replicaId: r.id,
    host: r.host,
    port: r.hostPort ?? 0,
    gitSha: r.gitSha,
    configHash: r.configHash,
    forceBounce: r.forceBounce,
    ...(r.checkPort ? { checkPort: r.checkPort } : {}),
    ...(r.bridge ? { bridgeIp: r.bridge.ip, bridgePort: r.bridge.port } : {}),
  };
}

/** The requests of one http drain step: one per registration (PaaSTA's {nerve_ns}), or one without. */
function drainUrls(req: DrainRequest | undefined, spec: InstanceSpec, r: Replica): Array<{ url: string; method: string; successCodes: string }> {
  if (!req?.urlFormat) return [];
  const namespaces = spec.registrations.length ? spec.registrations.map((reg) => reg.split('.')[1] ?? '') : [''];
  const params: Record<string, string> = { host: r.host, port: String(r.hostPort ?? 0), service: spec.service, instance: spec.instance };
  return [...new Set(namespaces)].map((ns) => ({
    url: req.urlFormat.replace(/\{(\w+)\}/g, (all, name: string) => (name === 'nerve_ns' ? ns : (params[name] ?? all))),
    method: (req.method || 'GET').toUpperCase(),
    successCodes: req.successCodes || '200-299',
  }));
}

/** One drain request; ok when its status is in the success codes ("200-399,407"). */
async function drainRequest(c: { url: string; method: string; successCodes: string }): Promise<{ ok: boolean; output: string }> {
  try {
    const res = await fetch(c.url, { method: c.method, signal: AbortSignal.timeout(15_000), headers: { 'User-Agent': 'orzo-scheduler-bridge' } });
    await res.arrayBuffer().catch(() => undefined);
    const ok = c.successCodes.split(',').some((part) => {
      const [lo, hi = lo] = part.trim().split('-').map(Number);
      return res.status >= lo! && res.status <= hi!;
    });
    return { ok, output: `${c.method} ${c.url}: HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, output: `${c.method} ${c.url}: ${(err as Error).message}` };
  }
}
