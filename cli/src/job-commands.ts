import { Command } from 'commander';
import { api } from '@orzo/contracts';
import { ControlApiOptions, requestedBy, unary, withControlApi } from './api-commands';
import { CliContext, EXIT, Output, UsageError, action, controlApiOption, jsonOption, renderTable, serviceOption } from './command-kit';

/** jobs, job run|history|enable|disable: the timed jobs of tron- and chronos-<cluster>.yaml. */
export function registerJobCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Timed jobs (tron- and chronos-<cluster>.yaml, through control-api):');
  program
    .command('jobs')
    .description("a service's timed jobs: schedule, enabled, next run and the last runs' results")
    .addOption(serviceOption())
    .option('-c, --cluster <cluster>', 'only jobs of this cluster')
    .addOption(jsonOption('one JSON document: the ListJobs answer'))
    .addOption(controlApiOption())
    .action(action<JobsOptions>(ctx, (o) => jobs(o, ctx.io)));
  const job = program.command('job').description('run a job now, show its runs, enable or disable it');
  const verb = (name: string, description: string) =>
    job
      .command(name)
      .description(description)
      .addOption(serviceOption())
      .option('-j, --job <job>', 'the job (required)')
      .option('-c, --cluster <cluster>', 'the cluster (needed when the job is on several)')
      .addOption(controlApiOption());
  verb('run', 'run the job now (all its actions in order; -a: only that action), whatever its schedule')
    .option('-a, --action <action>', 'only this action (its requirements are not run)')
    .addOption(jsonOption('one JSON document: the RunJob answer'))
    .action(action<JobOptions>(ctx, (o) => runJob(o, ctx.io)));
  verb('history', "the job's runs, newest first: state, trigger, times, reason")
    .option('--limit <n>', 'at most this many', '20')
    .addOption(jsonOption('one JSON document: the JobHistory answer'))
    .action(action<JobOptions>(ctx, (o) => jobHistory(o, ctx.io)));
  verb('enable', "schedule the job again (an override of the file's enabled, kept until orzo job disable)").action(
    action<JobOptions>(ctx, (o) => setEnabled(o, true, ctx.io)),
  );
  verb('disable', "stop scheduling the job (an override of the file's enabled, kept until orzo job enable); a running run finishes").action(
    action<JobOptions>(ctx, (o) => setEnabled(o, false, ctx.io)),
  );
}

interface JobsOptions extends ControlApiOptions {
  service?: string;
  cluster?: string;
  json?: boolean;
}

interface JobOptions extends JobsOptions {
  job?: string;
  action?: string;
  limit?: string;
}

const time = (t: string) => (t ? t.replace('T', ' ').slice(0, 19) : '-');

/** "succeeded 2026-11-30 04:00:00" of a run, for short listings. */
function result(r: api.JobRunSummary): string {
  return `${r.state} ${time(r.finishedAt || r.startedAt || r.scheduledAt)}`;
}

/** orzo jobs -s svc [-c] [--json] */
export async function jobs(v: JobsOptions, io: Output): Promise<number> {
  if (!v.service) throw new UsageError('jobs needs -s <service>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.ListJobsRequest, api.ListJobsResponse>(c, 'listJobs', { service: v.service!, cluster: v.cluster ?? '' });
    if (v.json) {
      io.out(JSON.stringify(api.ListJobsResponse.toJSON(res), null, 2));
      return EXIT.ok;
    }
    if (!res.jobs.length) {
      io.out(`${v.service} has no timed jobs${v.cluster ? ` on ${v.cluster}` : ''} (no tron- or chronos-<cluster>.yaml).`);
      return EXIT.ok;
    }
    const rows = res.jobs.map((j) => [
      `${j.cluster}.${j.job}`,
      `${j.schedule}${j.timeZone ? ` (${j.timeZone})` : ''}`,
      `${j.enabled ? 'enabled' : 'disabled'}${j.enabledOverridden ? ' (override)' : ''}`,
      j.nextRun ? time(j.nextRun) : j.gitSha ? '-' : `- (no version of ${j.deployGroup})`,
      j.lastRuns.length ? j.lastRuns.slice(0, 3).map(result).join(', ') : 'never ran',
    ]);
    io.out(renderTable(['JOB', 'SCHEDULE', 'STATE', 'NEXT RUN (UTC)', 'LAST RUNS'], rows));
    return EXIT.ok;
  });
}

function requireJob(verb: string, v: JobOptions): { service: string; job: string } {
  if (!v.service || !v.job) throw new UsageError(`job ${verb} needs -s <service> -j <job>`);
  return { service: v.service, job: v.job };
}

/** orzo job run -s svc -j job [-a action] [-c cluster] */
export async function runJob(v: JobOptions, io: Output): Promise<number> {
  const { service, job } = requireJob('run', v);
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.RunJobRequest, api.RunJobResponse>(c, 'runJob', {
      service,
      job,
      cluster: v.cluster ?? '',
      action: v.action ?? '',
      requestedBy: requestedBy(),
    });
    if (v.json) io.out(JSON.stringify(api.RunJobResponse.toJSON(res), null, 2));
    else {
      io.out(`Asked ${res.cluster} to run ${service}.${job}${v.action ? ` (action ${v.action} only)` : ''} now: run ${res.runId}.`);
      io.out(`Follow with: orzo job history -s ${service} -j ${job}; its output: orzo logs -s ${service} -j ${job} --run ${res.runId}`);
    }
    return EXIT.ok;
  });
}

/** orzo job history -s svc -j job [--limit n] [--json] */
export async function jobHistory(v: JobOptions, io: Output): Promise<number> {
  const { service, job } = requireJob('history', v);
  if (v.limit !== undefined && !/^\d+$/.test(v.limit)) throw new UsageError(`--limit ${v.limit} is not a number`);
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.JobHistoryRequest, api.JobHistoryResponse>(c, 'jobHistory', {
      service,
      job,
      limit: Number(v.limit ?? 20),
      cluster: v.cluster ?? '',
    });
    if (v.json) io.out(JSON.stringify(api.JobHistoryResponse.toJSON(res), null, 2));
    else if (!res.runs.length) io.out(`${service}.${job} has not run yet.`);
    else
      io.out(
        renderTable(
          ['RUN', 'STATE', 'TRIGGER', 'SCHEDULED', 'STARTED', 'FINISHED', 'REASON'],
          res.runs.map((r) => [
            r.runId,
            r.state,
            r.action ? `${r.trigger} (${r.action})` : r.trigger,
            time(r.scheduledAt),
            time(r.startedAt),
            time(r.finishedAt),
            r.reason,
          ]),
        ),
      );
    return EXIT.ok;
  });
}

/** orzo job enable|disable -s svc -j job [-c cluster] */
export async function setEnabled(v: JobOptions, enabled: boolean, io: Output): Promise<number> {
  const { service, job } = requireJob(enabled ? 'enable' : 'disable', v);
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.SetJobEnabledRequest, api.SetJobEnabledResponse>(c, 'setJobEnabled', {
      service,
      job,
      cluster: v.cluster ?? '',
      enabled,
      requestedBy: requestedBy(),
    });
    io.out(
      `${enabled ? 'Enabled' : 'Disabled'} ${res.jobs.map((j) => `${service} ${j}`).join(', ')} (an override of the file, until orzo job ${enabled ? 'disable' : 'enable'}).`,
    );
    return EXIT.ok;
  });
}

export interface JobLogsOptions extends ControlApiOptions {
  service?: string;
  job?: string;
  run?: string;
  json?: boolean;
}

/** orzo logs -s svc -j job [--run id]: each action's output of a run (default: the job's last run). */
export async function jobLogs(v: JobLogsOptions, io: Output): Promise<number> {
  if (!v.run && (!v.service || !v.job)) throw new UsageError('logs -j needs -s <service> -j <job> (or --run <id>)');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.GetJobRunRequest, api.GetJobRunResponse>(c, 'getJobRun', { runId: v.run ?? '', service: v.service ?? '', job: v.job ?? '' });
    if (v.json) {
      io.out(JSON.stringify(api.GetJobRunResponse.toJSON(res), null, 2));
      return EXIT.ok;
    }
    const run = res.run!;
    io.out(`Run ${run.runId} (${run.trigger}, scheduled ${time(run.scheduledAt)}): ${run.state}${run.reason ? `: ${run.reason}` : ''}`);
    for (const a of res.actions) {
      const exit = a.state === 'succeeded' || a.state === 'failed' || a.state === 'killed' ? `, exit ${a.exitCode}` : '';
      const tries = a.attempts > 1 ? `, ${a.attempts} attempts` : '';
      io.out(`== ${a.name}: ${a.state}${exit}${tries}${a.reason ? ` (${a.reason})` : ''}`);
      const lines = a.log.replace(/\n$/, '');
      if (lines) for (const line of lines.split('\n')) io.out(line);
    }
    return EXIT.ok;
  });
}
