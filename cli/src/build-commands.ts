import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';
import { Command } from 'commander';
import { api } from '@orzo/contracts';
import { ControlApiOptions, requestedBy, unary, withControlApi } from './api-commands';
import { jobLogs } from './job-commands';
import { InstanceLogsOptions, instanceLogsUntilInterrupted } from './replica-commands';
import { CliContext, EXIT, Output, UsageError, action, controlApiOption, jsonOption, serviceOption } from './command-kit';

/** cook-image, logs, builds, get-latest-deployment, history: builds and their path through deploy.yaml. */
export function registerBuildCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Builds and history (through control-api and the builder):');
  const verb = <O>(name: string, description: string, fn: (o: O, io: Output) => Promise<number>, service = serviceOption()) =>
    program
      .command(name)
      .description(description)
      .addOption(service)
      .action(action<O>(ctx, (o) => fn(o, ctx.io)));
  verb('cook-image', "build the current checkout's commit, showing the build live; Ctrl-C cancels", cookImage)
    .option('-c, --commit <sha>', 'build this commit instead of HEAD')
    .option('--dockerfile <file>', 'the Dockerfile, relative to the context')
    .option('--context <dir>', 'the build context, relative to the checkout (default: the current directory)')
    .option('--force', 'rebuild even when the image exists (replaces the tag)')
    .option('--deploy', 'start the deploy.yaml pipeline with the image (default: build only)')
    .option('--no-follow', 'print the build id and return instead of showing the log')
    .addOption(jsonOption('JSON lines: the build request, each log line, then {end, summary, seconds}'))
    .addOption(controlApiOption());
  verb(
    'logs',
    "the output of an instance's replicas, interleaved by time (-f follows, new replicas too); --build: a build's log",
    logs,
    serviceOption('the service (or --build-id)'),
  )
    .option('-c, --cluster <cluster>', 'only replicas of this cluster')
    .option('-i, --instance <instance>', 'only replicas of this instance')
    .option('--replica <id>', 'only this replica (an id or its prefix, see orzo status -v)')
    .option('-n, --lines <n>', 'the last this many lines of each replica (default 100)')
    .option('--since <when>', 'only lines since then: a duration back (10m, 2h) or an RFC 3339 time')
    .option('--stream <stream>', 'only stdout or stderr')
    .option('-j, --job <job>', "a timed job's run instead: each action's output (default the job's last run)")
    .option('--run <id>', 'with -j: this run (ids in orzo job history)')
    .option('--build', "a build's log instead (default the latest build)")
    .option('--build-id <id>', 'this build instead of the latest (implies --build)')
    .option('-f, --follow', 'follow: new lines (and replicas) until Ctrl-C, or a running build until it ends')
    .addOption(jsonOption('JSON lines: one object per log line (a build log\'s last one has "end")'))
    .addOption(controlApiOption());
  verb('builds', "the service's builds, newest first", builds)
    .option('--limit <n>', 'at most this many', '20')
    .addOption(jsonOption('one JSON document: the ListBuilds answer'))
    .addOption(controlApiOption());
  verb('get-latest-deployment', 'the commit (and image) a deploy group was last marked with', getLatestDeployment)
    .option('-l, --deploy-group <deploy_group>', 'the deploy group (required)')
    .addOption(jsonOption('one JSON document: the GetLatestDeployment answer'))
    .addOption(controlApiOption());
  verb('history', 'marks, pipeline promotions, skipped steps and manual waits, newest first', history)
    .option('--limit <n>', 'at most this many', '50')
    .addOption(jsonOption('one JSON document: the GetHistory answer'))
    .addOption(controlApiOption());
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Prints a build log line as text (not the last one: the caller words its summary) or, with --json, every line as a JSON line. */
function logLinePrinter(io: Output, json: boolean | undefined): (l: api.BuildLogLine) => void {
  return (l) => {
    if (json) io.out(JSON.stringify(api.BuildLogLine.toJSON(l)));
    else if (!l.end) io.out(`  ${l.at.slice(11, 19)}  ${l.line}`);
  };
}

/** Streams a build's log, passing each line to print; resolves to the build's outcome and its summary line ('' if the stream ended without one). */
function followLog(
  c: api.ControlApiClient,
  req: api.GetBuildLogRequest,
  print: (l: api.BuildLogLine) => void,
  onCall?: (cancel: () => void) => void,
): Promise<{ end: string; summary: string }> {
  return new Promise((resolve, reject) => {
    const call = c.getBuildLog(req);
    onCall?.(() => call.cancel());
    let end = '';
    let summary = '';
    call.on('data', (l: api.BuildLogLine) => {
      print(l);
      if (l.end) {
        end = l.end;
        summary = l.line;
      }
    });
    call.on('error', (err) => reject(err));
    call.on('end', () => resolve({ end, summary }));
  });
}

/**
 * orzo cook-image -s <service> [--commit sha] [--dockerfile f] [--context dir] [--force] [--deploy] [--no-follow]:
 * builds the current checkout's commit through the builder, showing its log live; Ctrl-C cancels it.
 * The image starts the deploy.yaml pipeline only with --deploy.
 */
interface CookOptions extends ControlApiOptions {
  service?: string;
  commit?: string;
  dockerfile?: string;
  context?: string;
  force?: boolean;
  deploy?: boolean;
  /** false with --no-follow */
  follow?: boolean;
  json?: boolean;
}

export async function cookImage(v: CookOptions, io: Output): Promise<number> {
  const { service } = v;
  if (!service) throw new UsageError('cook-image needs -s <service>');
  let root: string;
  let sha: string;
  try {
    root = git(process.cwd(), 'rev-parse', '--show-toplevel');
    sha = git(root, 'rev-parse', '--verify', `${v.commit ?? 'HEAD'}^{commit}`);
  } catch (err) {
    io.err(`orzo cook-image: not in a git checkout with that commit (${((err as { stderr?: string }).stderr ?? String(err)).trim()})`);
    return 1;
  }
  if (!v.commit && git(root, 'status', '--porcelain', '--untracked-files=no'))
    io.err(`warning: uncommitted changes are not in the image: Orzo builds commits (building ${sha.slice(0, 12)})`);
  const started = Date.now();
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.RequestBuildRequest, api.RequestBuildResponse>(c, 'requestBuild', {
      service,
      commitSha: sha,
      gitUrl: root,
      dockerfile: v.dockerfile ?? '',
      // Default: the directory cook-image runs in, relative to the checkout's root.
      context: v.context ?? (relative(root, process.cwd()).replace(/\\/g, '/') || '.'),
      buildArgs: {},
      requestedBy: `${requestedBy()} (orzo cook-image)`,
      force: !!v.force,
      // cook-image builds; deploying is the pipeline's job (or --deploy).
      skipPipeline: !v.deploy,
    });
    if (v.json) io.out(JSON.stringify(api.RequestBuildResponse.toJSON(res)));
    else io.out(`Building ${res.image} (build ${res.buildId}).`);
    if (v.follow === false) {
      if (!v.json) io.out(`Follow with: orzo logs -s ${service} --build --build-id ${res.buildId} -f`);
      return 0;
    }
    let cancelStream = () => undefined as void;
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(EXIT.interrupted);
      interrupted = true;
      io.err('Cancelling the build (Ctrl-C again to leave it running)...');
      void unary<api.CancelBuildRequest, api.CancelBuildResponse>(c, 'cancelBuild', { buildId: res.buildId })
        .catch((err: Error & { details?: string }) => io.err(`The build could not be cancelled: ${err.details ?? err.message}`))
        .finally(() => cancelStream());
    };
    process.on('SIGINT', onSigint);
    try {
      const { end, summary } = await followLog(
        c,
        { service, buildId: res.buildId, follow: true },
        logLinePrinter(io, v.json),
        (cancel) => (cancelStream = cancel),
      ).catch((err) => {
        if (interrupted) return { end: 'cancelled', summary: 'cancelled' };
        throw err;
      });
      if (!end) {
        io.err(`The build log ended before the build did; follow it with: orzo logs -s ${service} --build --build-id ${res.buildId} -f`);
        return EXIT.failure;
      }
      const took = ((Date.now() - started) / 1000).toFixed(1);
      if (v.json) io.out(JSON.stringify({ end, summary, seconds: Number(took) }));
      if (end === 'succeeded') {
        if (!v.json) io.out(`Built ${res.image} in ${took}s.`);
        return EXIT.ok;
      }
      // The builder's last line says where and why: "failed at <step>: <error>".
      io.err(`Build ${end} after ${took}s: ${summary}`);
      return interrupted ? EXIT.interrupted : EXIT.failure;
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

/** orzo logs -s <service> --build [--build-id id] [-f]: a build's log (default: the latest build). */
interface LogsOptions extends InstanceLogsOptions {
  service?: string;
  job?: string;
  run?: string;
  build?: boolean;
  buildId?: string;
  follow?: boolean;
  json?: boolean;
}

export async function logs(v: LogsOptions, io: Output): Promise<number> {
  if (!v.service && !v.buildId) throw new UsageError('logs needs -s <service> (or --build-id)');
  // A job run's action logs with -j (or --run); build logs with --build or --build-id; otherwise the replicas' output.
  if (v.job || v.run) return jobLogs(v, io);
  if (!v.build && !v.buildId) return instanceLogsUntilInterrupted(v, io);
  return withControlApi(v, io, async (c) => {
    const { end, summary } = await followLog(c, { service: v.service ?? '', buildId: v.buildId ?? '', follow: !!v.follow }, logLinePrinter(io, v.json));
    if (end && !v.json) io.out(`(build ${end}: ${summary})`);
    return end === 'failed' || end === 'cancelled' ? 1 : 0;
  });
}

/** orzo builds -s <service> [--json]: the service's builds, newest first. */
interface ListOptions extends ControlApiOptions {
  service?: string;
  limit?: string;
  json?: boolean;
}

export async function builds(v: ListOptions, io: Output): Promise<number> {
  const { service } = v;
  if (!service) throw new UsageError('builds needs -s <service>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.ListBuildsRequest, api.ListBuildsResponse>(c, 'listBuilds', {
      service,
      limit: Number(v.limit ?? 20) || 20,
    });
    if (v.json) io.out(JSON.stringify(api.ListBuildsResponse.toJSON(res), null, 2));
    else if (!res.builds.length) io.out(`No builds of ${v.service} yet.`);
    else
      for (const b of res.builds)
        io.out(
          `${b.requestedAt.slice(0, 19)}  ${b.buildId.slice(0, 8)}  ${b.commitSha.slice(0, 12)}  ${b.state.padEnd(9)}  ${b.state === 'failed' ? `${b.step}: ${b.error}` : b.image}`,
        );
    return 0;
  });
}

/** orzo get-latest-deployment -s <service> -l <deploy_group> [--json]: the sha (and image) last marked. */
export async function getLatestDeployment(v: ControlApiOptions & { service?: string; deployGroup?: string; json?: boolean }, io: Output): Promise<number> {
  const { service, deployGroup } = v;
  if (!service || !deployGroup) throw new UsageError('get-latest-deployment needs -s <service> -l <deploy_group>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.GetLatestDeploymentRequest, api.GetLatestDeploymentResponse>(c, 'getLatestDeployment', {
      service,
      deployGroup,
    });
    io.out(
      v.json
        ? JSON.stringify(api.GetLatestDeploymentResponse.toJSON(res), null, 2)
        : `${res.gitSha}  ${res.image}  (marked ${res.markedAt} by ${res.requestedBy}, ${res.reason})`,
    );
    return 0;
  });
}

/** orzo history -s <service> [--json]: marks, promotions, skips and waits, newest first. */
export async function history(v: ListOptions, io: Output): Promise<number> {
  const { service } = v;
  if (!service) throw new UsageError('history needs -s <service>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.GetHistoryRequest, api.GetHistoryResponse>(c, 'getHistory', {
      service,
      limit: Number(v.limit ?? 50) || 50,
    });
    if (v.json) {
      io.out(JSON.stringify(api.GetHistoryResponse.toJSON(res), null, 2));
      return 0;
    }
    for (const h of res.entries)
      io.out(
        `${h.at.slice(0, 19)}  ${h.kind.padEnd(8)} ${(h.deployGroup || '-').padEnd(20)} ${(h.gitSha || '-').slice(0, 12).padEnd(12)}  ${h.detail}  [${h.actor}]`,
      );
    // PaaSTA's check-rollback-status: the shas rolled back, which the pipeline no longer deploys.
    if (res.rollbacks.length) io.out('Rollbacks (bad shas the pipeline does not deploy again):');
    for (const r of res.rollbacks)
      io.out(`  ${r.at.slice(0, 19)}  ${r.deployGroup}  ${r.badGitSha.slice(0, 12)} -> ${r.toGitSha.slice(0, 12)}  by ${r.requestedBy}: ${r.reason}`);
    return 0;
  });
}
