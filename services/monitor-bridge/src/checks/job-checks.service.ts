import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JobRunFailed, JobRunLate, JobRunRef, JobRunSucceeded, JobSpec, JobsDesired, MonitoringSpec } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { AlertService } from '../alerts/alert.service';
import type { MonitorBridgeConfig } from '../config';
import { MonitorJob, MonitorJobSchema } from '../persistence/monitor.entities';
import { CheckNames, CheckResult, CheckStatus, InstanceRef } from './check-result';

interface KnownJob {
  spec?: JobSpec;
  lastSuccessAt: string;
  trackedSince: string;
}

/**
 * The checks of timed jobs, routed by the job's `monitoring` like every other check (the
 * AlertService's policy, team and sinks), with the job in the alert's `instance`:
 * - `tron.<service>.<job>`: CRITICAL when a run failed (after its retries), at once; the
 *   job's next succeeded run resolves it;
 * - `tron.<service>.<job>.expected_runtime`: WARNING when a run passed its expected_runtime;
 *   resolved when a run of the job ends;
 * - `tron.<service>.<job>.check_that_every_day_has_a_successful_run` (when the job's monitoring
 *   sets it): CRITICAL while its last succeeded run is older than 24 h (a job never seen to
 *   succeed counts from when monitor-bridge first got it). The last success per job is kept in
 *   monitor_job, so a restart neither forgets nor raises anew.
 */
@Injectable()
export class JobChecks implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly jobs = new Map<string, KnownJob>();
  private timer?: NodeJS.Timeout;
  private loaded?: Promise<void>;

  constructor(
    private readonly db: DatabaseHolder,
    private readonly alerts: AlertService,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorBridgeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.load();
    this.timer = setInterval(
      () => void this.checkDaily().catch((err: unknown) => this.logger.error({ err }, 'daily job check failed')),
      this.config.ORZO_JOB_CHECK_EVERY_S * 1000,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  load(): Promise<void> {
    return (this.loaded ??= (async () => {
      const rows = await this.db.database.em().find(MonitorJobSchema, {}, { disableIdentityMap: true });
      for (const r of rows)
        this.jobs.set(r.jobKey, {
          spec: r.spec ? JobSpec.fromJSON(JSON.parse(r.spec)) : undefined,
          lastSuccessAt: r.lastSuccessAt,
          trackedSince: r.trackedSince,
        });
    })());
  }

  /**
   * The stored rows a handler is about, read on its transaction (a fresh connection could wait
   * on it forever: SQLite has one), so a handler never waits for load().
   */
  private async readIn(tx: EntityManager, where: { jobKey: string } | { service: string; cluster: string }): Promise<void> {
    for (const r of await tx.find(MonitorJobSchema, where, { disableIdentityMap: true })) if (!this.jobs.has(r.jobKey)) this.jobs.set(r.jobKey, knownOf(r));
  }

  /** A service's jobs on a cluster, whole: the ones not listed are forgotten (their daily alert resolved). */
  async desired(tx: EntityManager, d: JobsDesired): Promise<void> {
    await this.readIn(tx, { service: d.service, cluster: d.cluster });
    const now = new Date().toISOString();
    const listed = new Set<string>();
    for (const spec of d.jobs) {
      const key = jobKeyOf(spec);
      listed.add(key);
      const known = this.jobs.get(key);
      const row: MonitorJob = {
        jobKey: key,
        service: spec.service,
        cluster: spec.cluster,
        spec: JSON.stringify(JobSpec.toJSON(spec)),
        lastSuccessAt: known?.lastSuccessAt ?? '',
        trackedSince: known?.trackedSince || now,
      };
      await tx.upsert(MonitorJobSchema, row, { onConflictAction: 'merge' });
      this.jobs.set(key, { spec, lastSuccessAt: row.lastSuccessAt, trackedSince: row.trackedSince });
    }
    const prefix = `${d.cluster}/${d.service}.`;
    for (const [key, known] of [...this.jobs]) {
      if (!key.startsWith(prefix) || listed.has(key) || !known.spec) continue;
      await tx.nativeDelete(MonitorJobSchema, { jobKey: key });
      this.jobs.delete(key);
      this.evaluate([this.result(known.spec, 'jobDaily', CheckStatus.OK, 'the job is no longer configured')], known.spec);
    }
  }

  async succeeded(tx: EntityManager, e: JobRunSucceeded): Promise<void> {
    const run = e.run!;
    const key = jobKeyOf(run);
    await this.readIn(tx, { jobKey: key });
    const known = this.jobs.get(key);
    const at = e.finishedAt || new Date().toISOString();
    const lastSuccessAt = known?.lastSuccessAt && known.lastSuccessAt > at ? known.lastSuccessAt : at;
    const next: KnownJob = { spec: known?.spec, lastSuccessAt, trackedSince: known?.trackedSince || at };
    await tx.upsert(
      MonitorJobSchema,
      {
        jobKey: key,
        service: run.service,
        cluster: run.cluster,
        spec: next.spec ? JSON.stringify(JobSpec.toJSON(next.spec)) : '',
        lastSuccessAt,
        trackedSince: next.trackedSince,
      },
      { onConflictAction: 'merge' },
    );
    this.jobs.set(key, next);
    const m = this.monitoringOf(run);
    const output = `run ${run.runId} succeeded at ${at}`;
    this.evaluate(
      [
        this.result(run, 'jobFailed', CheckStatus.OK, output),
        this.result(run, 'jobLate', CheckStatus.OK, output),
        this.result(run, 'jobDaily', CheckStatus.OK, output),
      ],
      m,
    );
  }

  async failed(tx: EntityManager, e: JobRunFailed): Promise<void> {
    const run = e.run!;
    await this.readIn(tx, { jobKey: jobKeyOf(run) });
    const m = e.monitoring?.set ? { monitoring: e.monitoring } : this.monitoringOf(run);
    const failedActions = e.actions.filter((a) => a.state === 'failed' || a.state === 'killed');
    const detail = failedActions
      .map((a) => `${a.name}: ${a.state}${a.state === 'failed' ? ` (exit ${a.exitCode})` : ''}${a.reason ? `, ${a.reason}` : ''}`)
      .join('; ');
    const output = `run ${run.runId} (${run.trigger}, scheduled ${run.scheduledAt}) failed: ${e.reason || detail || 'no reason given'}${detail && e.reason ? ` [${detail}]` : ''}; orzo logs -s ${run.service} -j ${run.job} --run ${run.runId}`;
    this.evaluate(
      [
        this.result(run, 'jobFailed', CheckStatus.CRITICAL, output, { alertAfterSeconds: 0, realertEvery: 0 }),
        this.result(run, 'jobLate', CheckStatus.OK, `run ${run.runId} ended`),
      ],
      m,
    );
  }

  async late(tx: EntityManager, e: JobRunLate): Promise<void> {
    const run = e.run!;
    await this.readIn(tx, { jobKey: jobKeyOf(run) });
    const m = e.monitoring?.set ? { monitoring: e.monitoring } : this.monitoringOf(run);
    const what = e.action ? `action ${e.action} of run ${run.runId}` : `run ${run.runId}`;
    const output = `${what} has run ${Math.round(e.runningSeconds)}s, past its expected_runtime of ${Math.round(e.expectedRuntimeSeconds)}s`;
    this.evaluate([this.result(run, 'jobLate', CheckStatus.WARNING, output, { alertAfterSeconds: 0, realertEvery: 0, page: false })], m);
  }

  /** check_that_every_day_has_a_successful_run of every enabled job that sets it. */
  async checkDaily(now = Date.now()): Promise<void> {
    await this.load();
    const windowMs = this.config.ORZO_JOB_SUCCESS_WINDOW_S * 1000;
    for (const known of this.jobs.values()) {
      const spec = known.spec;
      if (!spec?.checkEveryDay) continue;
      const since = known.lastSuccessAt || known.trackedSince;
      const late = spec.enabled && now - Date.parse(since) > windowMs;
      const hours = Math.round(windowMs / 3_600_000);
      const output = late
        ? known.lastSuccessAt
          ? `no successful run in the last ${hours}h: the last one finished at ${known.lastSuccessAt}`
          : `no successful run since ${known.trackedSince} (over ${hours}h)`
        : `last successful run at ${known.lastSuccessAt || '(none yet; within the window)'}`;
      await this.alerts.evaluate(this.result(spec, 'jobDaily', late ? CheckStatus.CRITICAL : CheckStatus.OK, output, { alertAfterSeconds: 0 }), spec);
    }
  }

  /**
   * Hands results to the AlertService without waiting: a handler runs inside its consumer's
   * transaction, and the alert's own write needs a connection of its own (SQLite has one).
   * The evaluation of each alert is serialised there, and logged if it fails.
   */
  private evaluate(results: CheckResult[], m: { monitoring?: MonitoringSpec } | undefined): void {
    for (const r of results) void this.alerts.evaluate(r, m);
  }

  private monitoringOf(run: Pick<JobRunRef, 'service' | 'cluster' | 'job'>): { monitoring?: MonitoringSpec } | undefined {
    return this.jobs.get(jobKeyOf(run))?.spec;
  }

  private result(
    j: Pick<JobRunRef, 'service' | 'cluster' | 'job'>,
    check: 'jobFailed' | 'jobLate' | 'jobDaily',
    status: CheckStatus,
    output: string,
    overrides?: CheckResult['overrides'],
  ): CheckResult {
    const ref: InstanceRef = { service: j.service, instance: j.job, cluster: j.cluster };
    return { ...ref, check: CheckNames[check](ref), status, output, overrides };
  }
}

function knownOf(r: MonitorJob): KnownJob {
  return { spec: r.spec ? JobSpec.fromJSON(JSON.parse(r.spec)) : undefined, lastSuccessAt: r.lastSuccessAt, trackedSince: r.trackedSince };
}

export function jobKeyOf(j: Pick<JobRunRef, 'service' | 'cluster' | 'job'>): string {
  return `${j.cluster}/${j.service}.${j.job}`;
}
