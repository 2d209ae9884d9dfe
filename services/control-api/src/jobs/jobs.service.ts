import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JobsDesired, Subjects, api, createEnvelope } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { FailedPreconditionError, InvalidArgumentError, LOGGER, Logger, NotFoundError, SERVICE_CONFIG } from '@orzo/platform';
import { CompiledJob, CompiledService, parseSchedule } from '@orzo/soa-config';
import type { ControlApiConfig } from '../config';
import { OutboxRelay } from '../deploys/outbox.relay';
import { DeployMarkSchema } from '../history/deploy-mark.entity';
import { requireFields } from '../required-fields';
import { shown } from '../shown';
import { SoaConfigSource } from '../soa/soa-config.source';
import { JobVersion, toJobSpec } from './job-desired';
import { JobActionRunSchema, JobOverrideSchema, JobRun, JobRunSchema } from './job-run.entity';

/** Runs shown per job by ListJobs. */
const LAST_RUNS = 5;

/**
 * The desired state of timed jobs and what operators do with them. control-api publishes
 * `job.desired` (the full list of one service's jobs on one cluster, idempotent full state)
 * in the transaction of what changed it: a mark of a deploy group jobs use, `orzo job
 * enable|disable`; at its start for every service (a fresh scheduler gets everything); and
 * when a periodic look at the soa-configs tree finds a service's jobs changed (git is the
 * source of truth, read fresh). `orzo job run` publishes `job.run-requested` with a fresh run id.
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, OnApplicationShutdown {
  /** "<service>/<cluster>" -> the JSON of the jobs last published (this process). */
  private readonly published = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly outbox: OutboxRelay,
    @Inject(SERVICE_CONFIG) private readonly config: ControlApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh('control-api start', true).catch((err: unknown) => this.logger.warn({ err }, 'jobs: publishing the desired jobs at start failed'));
    const every = this.config.ORZO_JOBS_REFRESH_SECONDS;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.refreshing = this.refresh('soa-configs changed', false).catch((err: unknown) => this.logger.warn({ err }, 'jobs: refresh failed'));
      }, every * 1000);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
  }

  /**
   * Publishes the desired jobs of every (service, cluster) whose jobs differ from what this
   * process last published (every one with `all`), and an empty list where a service's jobs
   * left a cluster.
   */
  async refresh(reason: string, all: boolean): Promise<void> {
    const loaded = this.soa.load();
    const pending: JobsDesired[] = [];
    await this.db.database.em().transactional(async (em) => {
      const seen = new Set<string>();
      for (const svc of loaded.services) {
        for (const cluster of new Set(svc.jobs.map((j) => j.cluster))) {
          seen.add(`${svc.name}/${cluster}`);
          pending.push(await this.desiredOf(em, svc, cluster, reason));
        }
      }
      for (const key of this.published.keys()) {
        if (seen.has(key)) continue;
        const [service, cluster] = key.split('/') as [string, string];
        // A service whose files have errors keeps what it had: an edit in progress stops nothing.
        if (this.isBroken(service)) continue;
        pending.push({ service, cluster, jobs: [], reason });
      }
      for (const d of pending) {
        const key = `${d.service}/${d.cluster}`;
        if (!all && this.published.get(key) === JSON.stringify(d.jobs)) continue;
        await this.enqueue(em, d);
      }
    });
    for (const d of pending) {
      if (d.jobs.length) this.published.set(`${d.service}/${d.cluster}`, JSON.stringify(d.jobs));
      else this.published.delete(`${d.service}/${d.cluster}`);
    }
    // Not awaited: a start without NATS must not wait for it (the relay retries every 5 s).
    void this.outbox.flush().catch(() => undefined);
  }

  /** Whether the service's soa-configs have errors now (it is left out of the compiled tree, not gone). */
  private isBroken(service: string): boolean {
    try {
      this.soa.service(service);
      return false;
    } catch (err) {
      return err instanceof FailedPreconditionError;
    }
  }

  /** The desired jobs of one service on one cluster, read on `em` (a caller's transaction). */
  async desiredOf(em: EntityManager, svc: CompiledService, cluster: string, reason: string): Promise<JobsDesired> {
    const jobs = svc.jobs.filter((j) => j.cluster === cluster);
    const overrides = await this.overridesOf(em, svc.name);
    const versions = new Map<string, JobVersion | undefined>();
    for (const group of new Set(jobs.map((j) => j.deployGroup))) versions.set(group, await this.versionOf(em, svc.name, group));
    return {
      service: svc.name,
      cluster,
      jobs: jobs.map((j) => toJobSpec(j, versions.get(j.deployGroup), overrides.get(`${j.cluster}.${j.job}`))),
      reason,
    };
  }

  /**
   * In the caller's transaction (a mark being recorded): the job.desired of every cluster where
   * the service has jobs on this deploy group. No jobs use it: nothing.
   */
  async markRecorded(em: EntityManager, svc: CompiledService, deployGroup: string, reason: string): Promise<void> {
    const clusters = new Set(svc.jobs.filter((j) => j.deployGroup === deployGroup).map((j) => j.cluster));
    for (const cluster of clusters) {
      const d = await this.desiredOf(em, svc, cluster, reason);
      await this.enqueue(em, d);
      this.published.set(`${svc.name}/${cluster}`, JSON.stringify(d.jobs));
    }
  }

  private async enqueue(em: EntityManager, d: JobsDesired): Promise<void> {
    await this.outbox.enqueue(em, createEnvelope(Subjects.JobsDesired, { source: 'control-api' }), d);
  }

  private async versionOf(em: EntityManager, service: string, deployGroup: string): Promise<JobVersion | undefined> {
    const mark = await em.getRepository(DeployMarkSchema).latestOf(service, deployGroup);
    return mark ? { image: mark.image, gitSha: mark.gitSha } : undefined;
  }

  /** "<cluster>.<job>" -> the operator's enabled. */
  private async overridesOf(em: EntityManager, service: string): Promise<Map<string, boolean>> {
    const rows = await em.getRepository(JobOverrideSchema).find({ service });
    return new Map(rows.map((r) => [`${r.cluster}.${r.job}`, r.enabled]));
  }

  /** The jobs named `job` of a service (one per cluster it is on); NotFoundError naming the ones it has. */
  jobsNamed(svc: CompiledService, job: string, cluster = ''): CompiledJob[] {
    if (!job) throw new InvalidArgumentError('job is required');
    const found = svc.jobs.filter((j) => j.job === job && (!cluster || j.cluster === cluster));
    if (found.length) return found;
    const has = [...new Set(svc.jobs.map((j) => `${j.cluster}.${j.job}`))].join(', ') || '(none: no tron- or chronos-<cluster>.yaml)';
    const where = cluster ? ` on cluster ${shown(cluster)}` : '';
    throw new NotFoundError(`${svc.name} has no job ${shown(job)}${where}; it has: ${has}`);
  }

  async list(req: api.ListJobsRequest): Promise<api.ListJobsResponse> {
    requireFields(req, { service: 'service' });
    const svc = this.soa.service(req.service);
    const em = this.db.database.em();
    const overrides = await this.overridesOf(em, svc.name);
    const now = new Date();
    const jobs: api.JobInfo[] = [];
    for (const j of svc.jobs.filter((x) => !req.cluster || x.cluster === req.cluster)) {
      const version = await this.versionOf(em, svc.name, j.deployGroup);
      const override = overrides.get(`${j.cluster}.${j.job}`);
      const enabled = override ?? j.enabled;
      const next = enabled && version ? parseSchedule(j.schedule, j.timeZone).schedule?.next(now) : null;
      const runs = await em.getRepository(JobRunSchema).ofJob(svc.name, j.job, LAST_RUNS, j.cluster);
      jobs.push({
        service: svc.name,
        cluster: j.cluster,
        job: j.job,
        flavor: j.flavor,
        schedule: j.schedule,
        timeZone: j.timeZone,
        enabled,
        enabledOverridden: override !== undefined,
        nextRun: next ? next.toISOString() : '',
        deployGroup: j.deployGroup,
        actions: j.actions.map((a) => a.name),
        lastRuns: runs.map(toSummary),
        runLimit: j.runLimit,
        gitSha: version?.gitSha ?? '',
      });
    }
    return { jobs };
  }

  async run(req: api.RunJobRequest): Promise<api.RunJobResponse> {
    requireFields(req, { service: 'service', job: 'job' });
    const svc = this.soa.service(req.service);
    const found = this.jobsNamed(svc, req.job, req.cluster);
    if (found.length > 1)
      throw new InvalidArgumentError(`${svc.name}'s job ${req.job} is on clusters ${found.map((j) => j.cluster).join(', ')}: say which with -c/--cluster`);
    const j = found[0]!;
    if (req.action && !j.actions.some((a) => a.name === req.action))
      throw new NotFoundError(`job ${svc.name}.${j.job} has no action ${shown(req.action)}; it has: ${j.actions.map((a) => a.name).join(', ') || '(none)'}`);
    const em0 = this.db.database.em();
    const version = await this.versionOf(em0, svc.name, j.deployGroup);
    if (!version)
      throw new FailedPreconditionError(
        `job ${svc.name}.${j.job} runs the version of deploy group ${j.deployGroup}, which has none yet: orzo mark-for-deployment -s ${svc.name} -l ${j.deployGroup} first`,
      );
    const runId = `${svc.name}.${j.job}.${j.cluster}.manual-${randomUUID().slice(0, 8)}`;
    const now = new Date().toISOString();
    const requestedBy = req.requestedBy || 'unknown';
    await this.db.database.em().transactional(async (em) => {
      await em
        .getRepository(JobRunSchema)
        .putUnlessLater(requestedRun({ runId, service: svc.name, cluster: j.cluster, job: j.job, action: req.action, requestedBy }, now, version));
      await this.outbox.enqueue(em, createEnvelope(Subjects.JobRunRequested, { source: 'control-api', correlationId: runId }), {
        runId,
        service: svc.name,
        cluster: j.cluster,
        job: j.job,
        action: req.action,
        requestedBy,
      });
    });
    await this.outbox.flush().catch(() => undefined);
    return { runId, cluster: j.cluster };
  }

  async history(req: api.JobHistoryRequest): Promise<api.JobHistoryResponse> {
    requireFields(req, { service: 'service', job: 'job' });
    const svc = this.soa.service(req.service);
    const runs = await this.db.database
      .em()
      .getRepository(JobRunSchema)
      .ofJob(svc.name, req.job, Math.min(req.limit || 20, 1000), req.cluster);
    // A job removed from its file still shows the runs it had.
    if (!runs.length) this.jobsNamed(svc, req.job, req.cluster);
    return { runs: runs.map(toSummary) };
  }

  async getRun(req: api.GetJobRunRequest): Promise<api.GetJobRunResponse> {
    const em = this.db.database.em();
    let run: JobRun | null;
    if (req.runId) {
      run = await em.getRepository(JobRunSchema).findOne({ runId: req.runId });
      if (!run) throw new NotFoundError(`no job run ${shown(req.runId)} (runs past the job's run_limit are not kept)`);
    } else {
      requireFields(req, { service: 'service', job: 'job' });
      const svc = this.soa.service(req.service);
      [run = null] = await em.getRepository(JobRunSchema).ofJob(svc.name, req.job, 1);
      if (!run) {
        this.jobsNamed(svc, req.job);
        throw new NotFoundError(`job ${svc.name}.${req.job} has not run yet`);
      }
    }
    const actions = await em.getRepository(JobActionRunSchema).ofRun(run.runId);
    return {
      run: toSummary(run),
      actions: actions.map((a) => ({
        name: a.name,
        state: a.state,
        attempts: a.attempts,
        startedAt: a.startedAt,
        finishedAt: a.finishedAt,
        exitCode: a.exitCode,
        reason: a.reason,
        log: a.log,
      })),
    };
  }

  async setEnabled(req: api.SetJobEnabledRequest): Promise<api.SetJobEnabledResponse> {
    requireFields(req, { service: 'service', job: 'job' });
    const svc = this.soa.service(req.service);
    const found = this.jobsNamed(svc, req.job, req.cluster);
    const changedAt = new Date().toISOString();
    const changedBy = req.requestedBy || 'unknown';
    const published: JobsDesired[] = [];
    await this.db.database.em().transactional(async (em) => {
      for (const j of found) {
        await em
          .getRepository(JobOverrideSchema)
          .upsert(
            { service: svc.name, cluster: j.cluster, job: j.job, enabled: req.enabled, changedBy, changedAt },
            { onConflictFields: ['service', 'cluster', 'job'] },
          );
      }
      await em.flush();
      for (const cluster of new Set(found.map((j) => j.cluster))) {
        const d = await this.desiredOf(em, svc, cluster, `orzo job ${req.enabled ? 'enable' : 'disable'} ${req.job} by ${changedBy}`);
        await this.enqueue(em, d);
        published.push(d);
      }
    });
    for (const d of published) this.published.set(`${d.service}/${d.cluster}`, JSON.stringify(d.jobs));
    await this.outbox.flush().catch(() => undefined);
    return { jobs: found.map((j) => `${j.cluster}.${j.job}`) };
  }
}

/** The history row of a run that was asked for and has not started. */
export function requestedRun(
  r: { runId: string; service: string; cluster: string; job: string; action: string; requestedBy: string },
  at: string,
  version?: JobVersion,
): JobRun {
  return {
    ...r,
    state: 'requested',
    rank: 0,
    trigger: 'manual',
    scheduledAt: at,
    startedAt: '',
    finishedAt: '',
    reason: '',
    gitSha: version?.gitSha ?? '',
    image: version?.image ?? '',
    updatedAt: at,
  };
}

export function toSummary(r: JobRun): api.JobRunSummary {
  return {
    runId: r.runId,
    cluster: r.cluster,
    job: r.job,
    state: r.state,
    trigger: r.trigger,
    scheduledAt: r.scheduledAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    reason: r.reason,
    gitSha: r.gitSha,
    requestedBy: r.requestedBy,
    action: r.action,
  };
}
