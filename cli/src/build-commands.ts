import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';
import { api } from '@orzo/contracts';
import { parse, unary, withControlApi } from './api-commands';
import type { Output } from './platform-runner';
import { UsageError } from './soa-commands';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Streams a build's log, printing each line; resolves to the build's outcome and its summary line ('' if the stream ended without one). */
function followLog(
  c: api.ControlApiClient,
  req: api.GetBuildLogRequest,
  io: Output,
  onCall?: (cancel: () => void) => void,
): Promise<{ end: string; summary: string }> {
  return new Promise((resolve, reject) => {
    const call = c.getBuildLog(req);
    onCall?.(() => call.cancel());
    let end = '';
    let summary = '';
    call.on('data', (l: api.BuildLogLine) => {
      if (l.end) {
        end = l.end;
        summary = l.line;
        return;
      }
      io.out(`  ${l.at.slice(11, 19)}  ${l.line}`);
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
export async function cookImage(argv: string[], io: Output): Promise<number> {
  const v = parse(argv, {
    service: { type: 'string', short: 's' },
    commit: { type: 'string', short: 'c' },
    dockerfile: { type: 'string' },
    context: { type: 'string' },
    force: { type: 'boolean' },
    deploy: { type: 'boolean' },
    'no-follow': { type: 'boolean' },
  });
  if (!v.service) throw new UsageError('cook-image needs -s <service>');
  let root: string;
  let sha: string;
  try {
    root = git(process.cwd(), 'rev-parse', '--show-toplevel');
    sha = git(root, 'rev-parse', '--verify', `${(v.commit as string) ?? 'HEAD'}^{commit}`);
  } catch (err) {
    io.err(`orzo cook-image: not in a git checkout with that commit (${((err as { stderr?: string }).stderr ?? String(err)).trim()})`);
    return 1;
  }
  if (!v.commit && git(root, 'status', '--porcelain', '--untracked-files=no'))
    io.err(`warning: uncommitted changes are not in the image: Orzo builds commits (building ${sha.slice(0, 12)})`);
  const started = Date.now();
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.RequestBuildRequest, api.RequestBuildResponse>(c, 'requestBuild', {
      service: v.service as string,
      commitSha: sha,
      gitUrl: root,
      dockerfile: (v.dockerfile as string) ?? '',
      // Default: the directory cook-image runs in, relative to the checkout's root.
      context: (v.context as string) ?? (relative(root, process.cwd()).replace(/\\/g, '/') || '.'),
      buildArgs: {},
      requestedBy: `${process.env.USER ?? 'someone'} (orzo cook-image)`,
      force: !!v.force,
      // cook-image builds; deploying is the pipeline's job (or --deploy).
      skipPipeline: !v.deploy,
    });
    io.out(`Building ${res.image} (build ${res.buildId}).`);
    if (v['no-follow']) {
      io.out(`Follow with: orzo logs -s ${v.service} --build --build-id ${res.buildId} -f`);
      return 0;
    }
    let cancelStream = () => undefined as void;
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(130);
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
        { service: v.service as string, buildId: res.buildId, follow: true },
        io,
        (cancel) => (cancelStream = cancel),
      ).catch((err) => {
        if (interrupted) return { end: 'cancelled', summary: 'cancelled' };
        throw err;
      });
      if (!end) {
        io.err(`The build log ended before the build did; follow it with: orzo logs -s ${v.service} --build --build-id ${res.buildId} -f`);
        return 1;
      }
      const took = ((Date.now() - started) / 1000).toFixed(1);
      if (end === 'succeeded') {
        io.out(`Built ${res.image} in ${took}s.`);
        return 0;
      }
      // The builder's last line says where and why: "failed at <step>: <error>".
      io.err(`Build ${end} after ${took}s: ${summary}`);
      return interrupted ? 130 : 1;
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

/** orzo logs -s <service> --build [--build-id id] [-f]: a build's log (default: the latest build). */
export async function logs(argv: string[], io: Output): Promise<number> {
  const v = parse(argv, {
    service: { type: 'string', short: 's' },
    build: { type: 'boolean' },
    'build-id': { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
  });
  if (!v.service && !v['build-id']) throw new UsageError('logs needs -s <service> (or --build-id)');
  if (!v.build) throw new UsageError('only build logs are served yet: add --build (replica logs: docker logs <container>, see orzo status)');
  return withControlApi(v, io, async (c) => {
    const { end, summary } = await followLog(c, { service: (v.service as string) ?? '', buildId: (v['build-id'] as string) ?? '', follow: !!v.follow }, io);
    if (end) io.out(`(build ${end}: ${summary})`);
    return end === 'failed' || end === 'cancelled' ? 1 : 0;
  });
}

/** orzo builds -s <service> [--json]: the service's builds, newest first. */
export async function builds(argv: string[], io: Output): Promise<number> {
  const v = parse(argv, { service: { type: 'string', short: 's' }, json: { type: 'boolean' }, limit: { type: 'string' } });
  if (!v.service) throw new UsageError('builds needs -s <service>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.ListBuildsRequest, api.ListBuildsResponse>(c, 'listBuilds', {
      service: v.service as string,
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
export async function getLatestDeployment(argv: string[], io: Output): Promise<number> {
  const v = parse(argv, { service: { type: 'string', short: 's' }, 'deploy-group': { type: 'string', short: 'l' }, json: { type: 'boolean' } });
  if (!v.service || !v['deploy-group']) throw new UsageError('get-latest-deployment needs -s <service> -l <deploy_group>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.GetLatestDeploymentRequest, api.GetLatestDeploymentResponse>(c, 'getLatestDeployment', {
      service: v.service as string,
      deployGroup: v['deploy-group'] as string,
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
export async function history(argv: string[], io: Output): Promise<number> {
  const v = parse(argv, { service: { type: 'string', short: 's' }, json: { type: 'boolean' }, limit: { type: 'string' } });
  if (!v.service) throw new UsageError('history needs -s <service>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.GetHistoryRequest, api.GetHistoryResponse>(c, 'getHistory', {
      service: v.service as string,
      limit: Number(v.limit ?? 50) || 50,
    });
    if (v.json) io.out(JSON.stringify(api.GetHistoryResponse.toJSON(res), null, 2));
    else
      for (const h of res.entries)
        io.out(
          `${h.at.slice(0, 19)}  ${h.kind.padEnd(8)} ${(h.deployGroup || '-').padEnd(20)} ${(h.gitSha || '-').slice(0, 12).padEnd(12)}  ${h.detail}  [${h.actor}]`,
        );
    return 0;
  });
}
