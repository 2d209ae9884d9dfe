import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { EventMap, Subjects } from '@orzo/contracts';
import { LOGGER, Logger, SERVICE_CONFIG, settleWithin } from '@orzo/platform';
import { Schedule, parseSchedule } from '@orzo/soa-config';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { ENGINES, Engines } from '../engine/engines';
import { CLAIM_HEARTBEAT_MS, CLAIM_STALE_MS, DesiredChange, JobKv, RunClaim } from './job-kv';
import { JobRunner } from './job-runner';
import { JobRunRef, JobSpec, jobKey, missedDue, scheduledRunId } from './job-times';

/** A live scheduler firing this much after a due time (a stalled process) catches up once instead of one by one. */
const LATE_FIRE_LIMIT_MS = 60_000;
/** setTimeout's limit is ~24.8 days; a far due time is re-armed daily. */
const MAX_TIMER_MS = 24 * 3600_000;
/** How often job containers left by a dead scheduler-bridge are looked for. */
const SWEEP_INTERVAL_MS = 10_000;
/** How often a queued run looks whether the run before it is over. */
const QUEUE_POLL_MS = 500;

interface ArmedJob {
  spec: JobSpec;
  schedule: Schedule;
  /** The schedule it was armed with (schedule text and zone); a change re-arms it. */
  armedWith: string;
  timer?: NodeJS.Timeout;
}

/**
 * The timed-job scheduler: keeps, for every enabled job of this bridge's clusters, a timer on
 * its next due time, and fires each due run once across all scheduler-bridges of the cluster
 * (a claim in NATS KV decides which one runs it). Desired jobs come from the KV bucket every
 * replica watches (written by JobsHandler from orzo.job.desired). At start, a job whose runs
 * were missed while no scheduler ran gets one catch-up run. Runs themselves: JobRunner.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly clusters: Set<string>;
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly specs = new Map<string, JobSpec>();
  private readonly armed = new Map<string, ArmedJob>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly runner: JobRunner;
  private kvPromise?: Promise<JobKv>;
  private unwatch?: () => void;
  private sweeper?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    @Inject(ENGINES) private readonly engines: Engines,
    private readonly bus: BusService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = new Set(schedulerClusters(config));
    this.runner = new JobRunner({ engine: (c) => engines.of(c), bus, logger });
  }

  /** The jobs' KV buckets (opened once, on first use). */
  kv(): Promise<JobKv> {
    this.kvPromise ??= JobKv.open(this.bus.connection).catch((err: unknown) => {
      this.kvPromise = undefined;
      throw err;
    });
    return this.kvPromise;
  }

  /** Whether this bridge runs jobs of the cluster. */
  runsCluster(cluster: string): boolean {
    return this.clusters.has(cluster);
  }

  onApplicationBootstrap(): void {
    void this.follow();
    this.sweeper = setInterval(() => void this.sweepOrphans(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    setTimeout(() => void this.sweepOrphans(), 1_000).unref();
  }

  /** Follows the desired jobs; a KV that cannot be opened (JetStream away) is retried, never fatal to the bridge. */
  private async follow(): Promise<void> {
    if (this.stopping) return;
    try {
      this.unwatch = await (await this.kv()).watchDesired((change) => this.onDesired(change));
    } catch (err) {
      this.logger.error({ err }, 'cannot follow the jobs KV bucket; timed jobs wait, retrying in 5 s');
      setTimeout(() => void this.follow(), 5_000).unref();
    }
  }

  /** A service's desired jobs on a cluster changed: arm what is listed and runnable, disarm the rest. */
  private onDesired({ key, desired }: DesiredChange): void {
    if (this.stopping) return;
    const [service, cluster] = desired ? [desired.service, desired.cluster] : splitDesiredKey(key);
    if (!this.clusters.has(cluster)) return;
    const listed = new Map((desired?.jobs ?? []).map((j) => [jobKey({ ...j, service, cluster }), { ...j, service, cluster }]));
    const gone = [...this.specs].filter(([k, s]) => s.service === service && s.cluster === cluster && !listed.has(k)).map(([k]) => k);
    for (const k of gone) {
      this.specs.delete(k);
      void this.disarm(k);
    }
    for (const [k, spec] of listed) {
      this.specs.set(k, spec);
      void this.arm(k, spec);
    }
  }

  /**
   * Job containers whose run has no live owner any more (its scheduler-bridge was killed, and
   * its claim was not refreshed for CLAIM_STALE_MS, or the run is over) are removed, and such a
   * run is reported failed: it is not resumed (docs/architecture.md, "Timed jobs").
   */
  async sweepOrphans(): Promise<void> {
    if (this.stopping) return;
    try {
      const kv = await this.kv();
      for (const cluster of this.clusters) {
        const engine = this.engines.of(cluster);
        for (const c of await engine.listOneShots(cluster)) {
          const claim = await kv.getClaim(c.runId);
          if (claim && (claim.owner === this.owner ? claim.state === 'running' : isLive(claim))) continue;
          await engine.remove(c.id);
          this.logger.warn({ runId: c.runId, action: c.action, container: c.id, owner: claim?.owner }, 'removed a job container its scheduler-bridge left');
          if (claim?.state !== 'running') continue;
          await kv.putClaim(c.runId, { ...claim, state: 'finished' });
          const dot = c.job.indexOf('.');
          const [service, job] = [c.job.slice(0, dot), c.job.slice(dot + 1)];
          const seconds = /\.(\d+)$/.exec(c.runId)?.[1];
          await this.runner.refuse(
            {
              runId: c.runId,
              service,
              cluster,
              job,
              scheduledAt: claim.trigger !== 'manual' && seconds ? new Date(Number(seconds) * 1000).toISOString() : '',
              trigger: claim.trigger,
              gitSha: '',
              image: '',
              requestedBy: '',
            },
            `scheduler-bridge ${claim.owner} stopped during the run (action ${c.action}); the run is not resumed`,
            this.specs.get(`${service}.${job}.${cluster}`)?.monitoring,
          );
        }
      }
    } catch (err) {
      this.logger.warn({ err }, 'could not look for job containers left by a stopped scheduler-bridge');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unwatch?.();
    clearInterval(this.sweeper);
    for (const a of this.armed.values()) clearTimeout(a.timer);
    // A run in hand keeps its containers; its claim goes stale and a later start sweeps it.
    await settleWithin(Promise.all([...this.inFlight]), 2_000);
  }

  /** Puts a runnable job on a timer (or keeps its timer when its schedule did not change). */
  private async arm(key: string, spec: JobSpec): Promise<void> {
    if (!spec.enabled || !spec.image || spec.actions.length === 0) return this.disarm(key);
    const parsed = parseSchedule(spec.schedule, spec.timeZone);
    if (!parsed.schedule) {
      this.logger.error({ job: key, schedule: spec.schedule, problem: parsed.problem }, 'job schedule does not parse; not scheduled');
      return this.disarm(key);
    }
    const armedWith = `${spec.schedule}|${spec.timeZone}`;
    const current = this.armed.get(key);
    if (current?.armedWith === armedWith) return;
    if (current) clearTimeout(current.timer);
    const job: ArmedJob = { spec, schedule: parsed.schedule, armedWith };
    this.armed.set(key, job);
    const now = new Date();
    // The next due run follows the catch-up run, if any (it must not overlap it).
    const caughtUp = current ? undefined : await this.catchUp(key, job, now);
    this.setTimer(key, job, job.schedule.next(now), caughtUp);
  }

  /** Not runnable (disabled, no version, removed): no timer, and its last run is forgotten (enabling it again does not catch up). */
  private async disarm(key: string): Promise<void> {
    const current = this.armed.get(key);
    if (current) clearTimeout(current.timer);
    this.armed.delete(key);
    await (await this.kv()).forgetLast(key).catch((err: unknown) => this.logger.warn({ err, job: key }, 'could not forget the last run of a job'));
  }

  /** The catch-up rule (docs/architecture.md, "Timed jobs"): runs missed while no scheduler ran -> one run, as of the latest. */
  private async catchUp(key: string, job: ArmedJob, now: Date): Promise<Date | undefined> {
    try {
      const kv = await this.kv();
      const last = await kv.getLast(key);
      if (!last) {
        // Never run: from now on, a due time missed while down is caught up.
        await kv.advanceLast(key, now.getTime(), null);
        return undefined;
      }
      const missed = missedDue(job.schedule, new Date(last.at), now);
      if (missed) this.fire(key, missed, 'catch-up');
      return missed ?? undefined;
    } catch (err) {
      this.logger.error({ err, job: key }, 'could not check a job for missed runs');
      return undefined;
    }
  }

  /** `previous`: the due time this one follows in this process's chain (the run it must not overlap). */
  private setTimer(key: string, job: ArmedJob, due: Date | null, previous?: Date): void {
    if (!due || this.stopping) return;
    const delay = due.getTime() - Date.now();
    job.timer = setTimeout(
      () => {
        if (this.armed.get(key) !== job) return;
        if (delay > MAX_TIMER_MS) return this.setTimer(key, job, due, previous);
        const late = Date.now() - due.getTime();
        let next = job.schedule.next(due);
        if (late > LATE_FIRE_LIMIT_MS) {
          // The process stalled (a suspended machine): one run for all it missed, then on time.
          const missed = missedDue(job.schedule, due, new Date());
          this.fire(key, missed ?? due, 'catch-up');
          next = job.schedule.next(new Date());
          this.setTimer(key, job, next, missed ?? due);
        } else {
          this.fire(key, due, 'schedule', previous);
          this.setTimer(key, job, next, due);
        }
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
    job.timer.unref();
  }

  /** Fires the run due at `due`, unless another scheduler (or an earlier life of this one) has claimed it. */
  private fire(key: string, due: Date, trigger: 'schedule' | 'catch-up', previous?: Date): void {
    const spec = this.specs.get(key);
    if (!spec) return;
    const ref: JobRunRef = {
      runId: scheduledRunId(spec, due),
      service: spec.service,
      cluster: spec.cluster,
      job: spec.job,
      scheduledAt: due.toISOString(),
      trigger,
      gitSha: spec.gitSha,
      image: spec.image,
      requestedBy: '',
    };
    this.track(this.fireAfterPrevious(key, ref, previous && scheduledRunId(spec, previous)));
  }

  /** orzo.job.run-requested: the job now (or one action), once per run id. */
  async runNow(req: EventMap[typeof Subjects.JobRunRequested]): Promise<void> {
    const key = jobKey(req);
    const spec = this.specs.get(key);
    const ref: JobRunRef = {
      runId: req.runId,
      service: req.service,
      cluster: req.cluster,
      job: req.job,
      scheduledAt: new Date().toISOString(),
      trigger: 'manual',
      gitSha: spec?.gitSha ?? '',
      image: spec?.image ?? '',
      requestedBy: req.requestedBy,
    };
    this.track(this.claimAndRun(key, ref, false, req.action));
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /**
   * The overlap rule (allow_overlap false): a scheduled run starts only once the run before it
   * is over. Every live scheduler waits, unclaimed, so one that dies while waiting loses
   * nothing; when the previous run is over they race for the claim. `previous`: the run id of
   * the due time before this one in this process's timer chain (absent there: still waiting
   * here, so busy); otherwise the last run any scheduler started. queueing false: skipped.
   */
  private async fireAfterPrevious(key: string, ref: JobRunRef, previous: string | undefined): Promise<void> {
    const log = this.logger.child({ job: key, runId: ref.runId, trigger: ref.trigger });
    try {
      const kv = await this.kv();
      let queued = false;
      for (;;) {
        const spec = this.specs.get(key);
        if (this.stopping || !spec || !this.armed.has(key)) return;
        if (spec.allowOverlap) break;
        const prev = previous ?? (await kv.getLast(key))?.runId;
        if (!prev || prev === ref.runId) break;
        const claim = await kv.getClaim(prev);
        const busy = claim ? isLive(claim) : previous !== undefined;
        if (!busy) break;
        if (!spec.queueing) {
          if (await kv.claim(ref.runId, this.claimOf('skipped', ref))) {
            await kv.advanceLast(key, Date.parse(ref.scheduledAt), null);
            log.warn({ running: prev }, 'job run skipped: the previous run still runs (allow_overlap false, queueing false)');
          }
          return;
        }
        if (!queued) log.info({ running: prev }, 'job run queued behind the previous run');
        queued = true;
        await new Promise((r) => setTimeout(r, QUEUE_POLL_MS));
      }
      await this.claimAndRun(key, ref, true);
    } catch (err) {
      log.error({ err }, 'job run could not be queued');
    }
  }

  private claimOf(state: RunClaim['state'], ref: JobRunRef): RunClaim {
    return { owner: this.owner, state, trigger: ref.trigger, heartbeatAt: Date.now() };
  }

  /** Claims the run id (only the first claimer runs it), runs it, heartbeating the claim meanwhile. */
  private async claimAndRun(key: string, ref: JobRunRef, scheduled: boolean, only = ''): Promise<void> {
    const log = this.logger.child({ job: key, runId: ref.runId, trigger: ref.trigger });
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      const kv = await this.kv();
      if (!(await kv.claim(ref.runId, this.claimOf('running', ref)))) {
        log.debug('run claimed elsewhere; not run here');
        return;
      }
      heartbeat = setInterval(() => void kv.putClaim(ref.runId, this.claimOf('running', ref)).catch(() => undefined), CLAIM_HEARTBEAT_MS);
      heartbeat.unref();
      if (scheduled) await kv.advanceLast(key, Date.parse(ref.scheduledAt), ref.runId);
      const spec = this.specs.get(key);
      if (spec) await this.runner.execute(spec, ref, only);
      else await this.runner.refuse(ref, `job ${ref.job} of ${ref.service} is not scheduled on cluster ${ref.cluster} (control-api published no such job)`);
      clearInterval(heartbeat);
      await kv.putClaim(ref.runId, this.claimOf('finished', ref));
    } catch (err) {
      log.error({ err }, 'job run could not be claimed or run');
    } finally {
      clearInterval(heartbeat);
    }
  }
}

/** Whether a claimed run still runs: running, and its owner refreshed the claim lately. */
function isLive(c: RunClaim): boolean {
  return c.state === 'running' && Date.now() - c.heartbeatAt < CLAIM_STALE_MS;
}

/** `<service>.<cluster>` as the desired bucket keys it (services and clusters have no dots). */
function splitDesiredKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}
