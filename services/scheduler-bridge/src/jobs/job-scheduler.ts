import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { EventMap, Subjects } from '@orzo/contracts';
import { LOGGER, Logger, SERVICE_CONFIG, settleWithin } from '@orzo/platform';
import { Schedule, parseSchedule } from '@orzo/soa-config';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { ENGINES, Engines } from '../engine/engines';
import { CLAIM_HEARTBEAT_MS, CLAIM_STALE_MS, JobKv, RunClaim } from './job-kv';
import { JobRunner } from './job-runner';
import { JobRunRef, JobSpec, jobKey, missedDue, scheduledRunId } from './job-times';

/** A live scheduler firing this much after a due time (a stalled process) catches up once instead of one by one. */
const LATE_FIRE_LIMIT_MS = 60_000;
/** setTimeout's limit is ~24.8 days; a far due time is re-armed daily. */
const MAX_TIMER_MS = 24 * 3600_000;

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
  private stopping = false;

  constructor(
    @Inject(ENGINES) engines: Engines,
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

  async onApplicationBootstrap(): Promise<void> {
    const kv = await this.kv();
    this.unwatch = await kv.watchDesired(({ key, desired }) => {
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
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unwatch?.();
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
    if (!current) await this.catchUp(key, job, now);
    this.setTimer(key, job, job.schedule.next(now));
  }

  /** Not runnable (disabled, no version, removed): no timer, and its last run is forgotten (enabling it again does not catch up). */
  private async disarm(key: string): Promise<void> {
    const current = this.armed.get(key);
    if (current) clearTimeout(current.timer);
    this.armed.delete(key);
    await (await this.kv()).forgetLast(key).catch((err: unknown) => this.logger.warn({ err, job: key }, 'could not forget the last run of a job'));
  }

  /** The catch-up rule (docs/architecture.md, "Timed jobs"): runs missed while no scheduler ran -> one run, as of the latest. */
  private async catchUp(key: string, job: ArmedJob, now: Date): Promise<void> {
    try {
      const kv = await this.kv();
      const last = await kv.getLast(key);
      if (!last) {
        // Never run: from now on, a due time missed while down is caught up.
        await kv.advanceLast(key, now.getTime(), null);
        return;
      }
      const missed = missedDue(job.schedule, new Date(last.at), now);
      if (missed) this.fire(key, missed, 'catch-up');
    } catch (err) {
      this.logger.error({ err, job: key }, 'could not check a job for missed runs');
    }
  }

  private setTimer(key: string, job: ArmedJob, due: Date | null): void {
    if (!due || this.stopping) return;
    const delay = due.getTime() - Date.now();
    job.timer = setTimeout(
      () => {
        if (this.armed.get(key) !== job) return;
        if (delay > MAX_TIMER_MS) return this.setTimer(key, job, due);
        const late = Date.now() - due.getTime();
        let next = job.schedule.next(due);
        if (late > LATE_FIRE_LIMIT_MS) {
          // The process stalled (a suspended machine): one run for all it missed, then on time.
          const missed = missedDue(job.schedule, due, new Date());
          this.fire(key, missed ?? due, 'catch-up');
          next = job.schedule.next(new Date());
        } else this.fire(key, due, 'schedule');
        this.setTimer(key, job, next);
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
    job.timer.unref();
  }

  /** Fires the run due at `due`, unless another scheduler (or an earlier life of this one) has claimed it. */
  private fire(key: string, due: Date, trigger: 'schedule' | 'catch-up'): void {
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
    this.track(this.claimAndRun(key, ref, true));
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

  private async claimAndRun(key: string, ref: JobRunRef, scheduled: boolean, only = ''): Promise<void> {
    const log = this.logger.child({ job: key, runId: ref.runId, trigger: ref.trigger });
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      const kv = await this.kv();
      const claim = (state: RunClaim['state']): RunClaim => ({ owner: this.owner, state, trigger: ref.trigger, heartbeatAt: Date.now() });
      if (!(await kv.claim(ref.runId, claim('queued')))) {
        log.debug('run claimed elsewhere; not run here');
        return;
      }
      let state: RunClaim['state'] = 'queued';
      heartbeat = setInterval(() => void kv.putClaim(ref.runId, claim(state)).catch(() => undefined), CLAIM_HEARTBEAT_MS);
      heartbeat.unref();
      const spec = this.specs.get(key);
      if (scheduled && spec) {
        const at = new Date(ref.scheduledAt).getTime();
        const previous = (await kv.getLast(key))?.runId;
        const busy = !spec.allowOverlap && previous && previous !== ref.runId && (await this.active(kv, previous));
        if (busy && !spec.queueing) {
          await kv.advanceLast(key, at, null);
          await kv.putClaim(ref.runId, claim('skipped'));
          log.warn({ running: previous }, 'job run skipped: the previous run still runs (allow_overlap false, queueing false)');
          return;
        }
        await kv.advanceLast(key, at, ref.runId);
        if (busy) {
          log.info({ running: previous }, 'job run queued behind the previous run');
          while (!this.stopping && (await this.active(kv, previous))) await new Promise((r) => setTimeout(r, 1_000));
          if (this.stopping) return;
        }
      }
      state = 'running';
      await kv.putClaim(ref.runId, claim(state));
      const current = this.specs.get(key);
      if (current) await this.runner.execute(current, ref, only);
      else await this.runner.refuse(ref, `job ${ref.job} of ${ref.service} is not scheduled on cluster ${ref.cluster} (control-api published no such job)`);
      state = 'finished';
      await kv.putClaim(ref.runId, claim(state));
    } catch (err) {
      log.error({ err }, 'job run could not be claimed or run');
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Whether a run is queued or running and its owner still alive. */
  private async active(kv: JobKv, runId: string): Promise<boolean> {
    const c = await kv.getClaim(runId);
    return !!c && (c.state === 'queued' || c.state === 'running') && Date.now() - c.heartbeatAt < CLAIM_STALE_MS;
  }
}

/** `<service>.<cluster>` as the desired bucket keys it (services and clusters have no dots). */
function splitDesiredKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}
