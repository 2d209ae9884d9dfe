import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { Metadata, ServiceError, status as grpcStatus } from '@grpc/grpc-js';
import { Command } from 'commander';
// Not '@orzo/contracts': its index loads every event schema (and zod), which these verbs never use.
import * as api from '@orzo/contracts/dist/src/generated/orzo/api/v1/control';
import { bearer } from '@orzo/contracts/dist/src/bearer';
import { channelCredentials, resolveToken } from './api-access';
import { CliContext, Output, UsageError, action, controlApiOption, jsonOption, serviceOption } from './command-kit';

export interface ControlApiOptions {
  controlApi?: string;
}

/** mark-for-deployment and status: deploys through control-api. */
export function registerDeployCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Deploys (through control-api over gRPC):');
  program
    .command('mark-for-deployment')
    .description('record the version a deploy group should run; --wait follows it until done')
    .addOption(serviceOption())
    .option('-l, --deploy-group <deploy_group>', 'the deploy group (required)')
    .option('--image <ref>', 'the image to run')
    .option('-c, --commit <sha>', 'the commit whose image to run (services-<service>:orzo-<sha>)')
    .option('--wait', 'follow the affected instances until they run it, every replica healthy')
    .option('--auto-rollback', 'if this deploy fails (timeout, failing health checks, crash loop), go back to the previous version')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 1)', '600')
    .addOption(jsonOption('JSON lines: the mark, then (with --wait) each change of progress and {"deployed": image}'))
    .addOption(controlApiOption())
    .action(action<MarkOptions>(ctx, (o) => markForDeployment(o, ctx.io)));
  program
    .command('status')
    .description('desired version, state, replicas and endpoints of each instance')
    .addOption(serviceOption())
    .option('-c, --cluster <cluster>', 'only this cluster')
    .option('-i, --instance <instance>', 'only this instance')
    .option('-v, --verbose', 'every replica with its state (Healthy, Starting, Not Ready, Failed, Warning, Terminating) and last check output')
    .addOption(jsonOption('one JSON document: the GetStatus answer'))
    .addOption(controlApiOption())
    .action(action<StatusOptions>(ctx, (o) => status(o, ctx.io)));
}

const DEFAULT_ENDPOINT = '127.0.0.1:50051';

/** For a verb that parses its own argv (node:util parseArgs, plus --control-api); usage errors exit 2. */
export function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>) {
  try {
    return parseArgs({ args: argv, options: { ...options, 'control-api': { type: 'string' } }, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

// Options parsed by commander (controlApi) or by parse() ('control-api').
type EndpointOptions = ControlApiOptions | Record<string, unknown>;

export function client(values: EndpointOptions): api.ControlApiClient {
  const v = values as ControlApiOptions & { 'control-api'?: string };
  const endpoint = v.controlApi ?? v['control-api'] ?? process.env.ORZO_CONTROL_API ?? DEFAULT_ENDPOINT;
  return new api.ControlApiClient(endpoint, channelCredentials(), { interceptors: [bearer(resolveToken().token)] });
}

/** The unary methods of the API (the others stream). */
export type UnaryMethod = Exclude<keyof typeof api.ControlApiService, 'getBuildLog' | 'watchEvents'>;

export function unary<Req, Res>(c: api.ControlApiClient, method: UnaryMethod, req: Req): Promise<Res> {
  const deadline = new Date(Date.now() + 30_000);
  return new Promise((resolve, reject) =>
    (c[method] as unknown as (r: Req, m: object, o: object, cb: (e: ServiceError | null, r: Res) => void) => void).call(
      c,
      req,
      new Metadata(),
      { deadline },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

/** Runs fn with a control-api client; a gRPC error becomes a readable line and exit 1. */
export async function withControlApi(values: EndpointOptions, io: Output, fn: (c: api.ControlApiClient) => Promise<number>): Promise<number> {
  let c: api.ControlApiClient | undefined;
  try {
    c = client(values);
    return await fn(c);
  } catch (err) {
    return explain(err, io);
  } finally {
    c?.close();
  }
}

function explain(err: unknown, io: Output): number {
  const e = err as ServiceError;
  // grpc-js says "No connection established" when control-api itself cannot be reached; an
  // UNAVAILABLE control-api sends (a service behind it is down) is shown as it says.
  if (e?.code === grpcStatus.UNAVAILABLE && /No connection established|ECONNREFUSED|Connection dropped/.test(e.details ?? ''))
    io.err(
      `control-api is not reachable (${e.details}); is the platform up (npm start)? Set ORZO_CONTROL_API or --control-api host:port` +
        (process.env.ORZO_CA ? '' : '. If control-api speaks TLS, give its CA with --ca <file> or ORZO_CA'),
    );
  else if (e?.code === grpcStatus.UNAVAILABLE && /SSL|TLS|certificate|handshake/i.test(e.details ?? ''))
    io.err(`TLS with control-api failed (${e.details}): check --ca / ORZO_CA (and ORZO_CLIENT_CERT/KEY for mutual TLS)`);
  else if (e?.code === grpcStatus.UNAUTHENTICATED)
    io.err(`UNAUTHENTICATED: ${e.details}. The token came from ${resolveToken().from}; set ORZO_TOKEN or ORZO_TOKEN_FILE (orzo token create makes one)`);
  else if (e?.code !== undefined) io.err(`${grpcStatus[e.code]}: ${e.details}`);
  else io.err(String(err));
  return 1;
}

interface MarkOptions extends ControlApiOptions {
  service?: string;
  deployGroup?: string;
  image?: string;
  commit?: string;
  wait?: boolean;
  autoRollback?: boolean;
  timeout?: string;
  json?: boolean;
}

/**
 * Who the CLI says asks: ORZO_USER, else the OS user. Informative only: control-api records
 * the name of the token the call came with.
 */
export function requestedBy(): string {
  if (process.env.ORZO_USER) return process.env.ORZO_USER;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER || process.env.LOGNAME || 'orzo-cli';
  }
}

/** orzo mark-for-deployment -s <service> -l <deploy_group> (--image <ref> | -c <sha>) [--wait [--timeout s]] [--json] */
export async function markForDeployment(v: MarkOptions, io: Output): Promise<number> {
  const { service, deployGroup } = v;
  if (!service || !deployGroup || (!v.image && !v.commit))
    throw new UsageError('mark-for-deployment needs -s <service> -l <deploy_group> and --image <ref> or -c <sha>');
  const timeoutS = Number(v.timeout ?? 600);
  if (v.wait && (!Number.isFinite(timeoutS) || timeoutS <= 0)) throw new UsageError(`--timeout ${v.timeout} is not a number of seconds`);
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>(c, 'markForDeployment', {
      service,
      deployGroup,
      image: v.image ?? '',
      commitSha: v.commit ?? '',
      requestedBy: requestedBy(),
      autoRollback: !!v.autoRollback,
    });
    if (v.json) io.out(JSON.stringify(api.MarkForDeploymentResponse.toJSON(res)));
    else {
      io.out(`Marked ${res.image} for ${service} deploy group ${deployGroup} (deploy ${res.deployId}).`);
      io.out(
        res.instances.length
          ? `Instances to converge: ${res.instances.join(', ')}. Follow with: orzo status -s ${service}`
          : 'No long-running instance uses this deploy group.',
      );
      for (const k of res.stoppedInstances)
        io.out(`${k} is stopped (orzo stop): the mark is recorded, and it runs this version after orzo start -s ${service} -c ${k.replace('.', ' -i ')}.`);
    }
    if (!v.wait || res.instances.length === 0) return 0;
    const target = { service, deployGroup, deployId: res.deployId, image: res.image, instances: res.instances };
    return await waitForDeploy(c, target, timeoutS, io, !!v.json);
  });
}

/** A mark to wait for: the deploy of an image to the instances of a deploy group. */
export interface DeployTarget {
  service: string;
  deployGroup: string;
  deployId: string;
  image: string;
  instances: string[];
}

/**
 * --wait and wait-for-deployment: follows the affected instances until each runs only the marked
 * version with every replica healthy (a stopped one is not waited for), printing each change of
 * progress; exit 1 on timeout with what is missing, or as soon as the deploy failed or the group
 * was marked with another version (an auto-rollback), with the reason.
 */
export async function waitForDeploy(c: api.ControlApiClient, mark: DeployTarget, timeoutS: number, io: Output, json: boolean): Promise<number> {
  const { service } = mark;
  const targets = new Set(mark.instances);
  const deadline = Date.now() + timeoutS * 1000;
  const last = new Map<string, string>();
  for (;;) {
    const st = await unary<api.GetStatusRequest, api.GetStatusResponse>(c, 'getStatus', { service, cluster: '', instance: '' });
    let done = true;
    for (const i of st.instances.filter((x) => targets.has(`${x.cluster}.${x.instance}`))) {
      const old = i.replicas.filter((r) => r.old).length;
      const line = `${i.cluster}.${i.instance}: ${i.state}; ${i.healthyReplicas}/${i.desiredReplicas} new replicas healthy${old ? `, ${old} old still running` : ''}${i.reason ? `; why: ${i.reason}` : ''}`;
      if (last.get(i.instance) !== line)
        io.out(
          json
            ? JSON.stringify({
                at: new Date().toISOString(),
                instance: `${i.cluster}.${i.instance}`,
                state: i.state,
                healthyReplicas: i.healthyReplicas,
                desiredReplicas: i.desiredReplicas,
                oldReplicas: old,
                reason: i.reason,
              })
            : `  ${new Date().toISOString().slice(11, 19)} ${line}`,
        );
      last.set(i.instance, line);
      const image = mark.image;
      if (i.state === 'Stopped') continue;
      if (i.desiredImage !== image || i.state !== 'Running' || i.healthyReplicas < i.desiredReplicas) done = false;
    }
    const failure = done ? '' : await deployFailure(c, mark);
    if (failure) {
      io.err(`${failure}. Inspect with: orzo history -s ${service}`);
      return 1;
    }
    if (done) {
      io.out(json ? JSON.stringify({ deployed: mark.image }) : `Deployed ${mark.image}.`);
      return 0;
    }
    if (Date.now() > deadline) {
      io.err(`Timed out after ${timeoutS}s: ${[...last.values()].join('; ')}. Inspect with: orzo status -s ${service}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Why waiting for a mark is over without success: its deploy failed, or the group was marked again; '' while it goes on. */
async function deployFailure(c: api.ControlApiClient, mark: DeployTarget): Promise<string> {
  const { deployments } = await unary<api.ListDeploymentsRequest, api.ListDeploymentsResponse>(c, 'listDeployments', {
    service: mark.service,
    deployGroup: mark.deployGroup,
    limit: 20,
  });
  const current = deployments[0];
  if (current && current.deployId !== mark.deployId && current.image !== mark.image)
    return `${mark.deployGroup} was marked with ${current.gitSha.slice(0, 12)} since (${current.reason} by ${current.requestedBy}): ${mark.image} is no longer its version`;
  const mine = deployments.find((d) => d.deployId === mark.deployId);
  if (mine?.outcome === 'failed') return `Deploy of ${mark.image} failed: ${mine.failures.join('; ')}`;
  return '';
}

interface StatusOptions extends ControlApiOptions {
  service?: string;
  cluster?: string;
  instance?: string;
  verbose?: boolean;
  json?: boolean;
}

/** orzo status -s <service> [-c cluster] [-i instance] [--json], in the shape of paasta status. */
export async function status(v: StatusOptions, io: Output): Promise<number> {
  const { service } = v;
  if (!service) throw new UsageError('status needs -s <service>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.GetStatusRequest, api.GetStatusResponse>(c, 'getStatus', {
      service,
      cluster: v.cluster ?? '',
      instance: v.instance ?? '',
    });
    if (v.json) {
      io.out(JSON.stringify(api.GetStatusResponse.toJSON(res), null, 2));
      return 0;
    }
    for (const i of res.instances) {
      io.out(`${res.service}.${i.instance} in ${i.cluster}`);
      io.out(`    Version:    ${i.desiredGitSha ? `${i.desiredGitSha.slice(0, 8)} (desired)` : '(none marked)'}`);
      io.out(`    State:      ${i.state}`);
      if (i.reason) io.out(`    Reason:     ${i.reason}`);
      if (i.override) io.out(`    Override:   ${i.override} (configured instances: ${i.configuredReplicas})`);
      io.out(`    Replicas:   ${i.healthyReplicas} Healthy / ${i.desiredReplicas} desired (${i.replicas.length} running)${replicaStates(i.replicas)}`);
      if (i.recentExits) io.out(`    Restarts:   ${i.recentExits} replica(s) exited on their own in the last 10m; last: ${i.lastExit}`);
      if (!v.verbose) for (const line of replicaRows(i.replicas, i.desiredGitSha)) io.out(`      ${line}`);
      else {
        if (i.replicas.length) io.out(`      ${'ID'.padEnd(12)}  ${'IP/Port'.padEnd(21)}  ${'Version'.padEnd(14)}  ${'Since'.padEnd(8)}  State`);
        for (const r of i.replicas) {
          io.out(
            `      ${r.replicaId.slice(0, 12).padEnd(12)}  ${`${r.host}:${r.port}`.padEnd(21)}  ${`${r.gitSha.slice(0, 8)}${r.old ? ' (old)' : ' (new)'}`.padEnd(14)}  ${r.startedAt.slice(11, 19).padEnd(8)}  ${r.state}`,
          );
          if (r.detail && r.state !== 'Healthy') io.out(`          ${r.detail}`);
        }
        for (const r of i.exited)
          io.out(
            `      ${r.replicaId.slice(0, 12).padEnd(12)}  ${'-'.padEnd(21)}  ${r.gitSha.slice(0, 8).padEnd(14)}  ${r.startedAt.slice(11, 19).padEnd(8)}  Failed: ${r.detail}`,
          );
      }
      if (i.endpoints.length) io.out(`    Endpoints:  ${i.endpoints.join(', ')}`);
      const backoff = i.problems.find((p) => p.action === 'backoff');
      if (backoff) io.out(`    Backoff:    ${backoffLine(backoff)}`);
      const problems = i.problems.filter((p) => p.action !== 'backoff');
      if (problems.length) io.out(`    Problems:   ${problems.length} engine error(s), retried in the background while the rest converges`);
      for (const p of problems) io.out(`      ${problemLine(p)}`);
      if (i.alerts.length) io.out(`    Alerts:     ${i.alerts.length} firing (orzo alerts -s ${res.service} for where they went)`);
      for (const a of i.alerts) io.out(`      ${firingLine(a)}`);
    }
    return 0;
  });
}

/**
 * The replicas of an instance as a table: id, the host it runs on (its node's IP once Orzo
 * spans several hosts), the port published there, version (new = the desired one), state.
 */
export function replicaRows(replicas: readonly api.ReplicaStatus[], desiredGitSha: string): string[] {
  if (replicas.length === 0) return [];
  const hostWidth = Math.max(4, ...replicas.map((r) => r.host.length));
  const row = (id: string, host: string, port: string, version: string, state: string) =>
    `${id.padEnd(12)}  ${host.padEnd(hostWidth)}  ${port.padEnd(5)}  ${version.padEnd(14)}  ${state}`;
  return [
    row('REPLICA', 'HOST', 'PORT', 'VERSION', 'STATE'),
    ...replicas.map((r) =>
      row(r.replicaId.slice(0, 12), r.host, String(r.port), `${r.gitSha.slice(0, 8)}${r.gitSha === desiredGitSha ? ' (new)' : ' (old)'}`, r.state),
    ),
  ];
}

/** " — 2 Healthy, 1 Not Ready": how many replicas are in each state. */
export function replicaStates(replicas: Array<{ state: string }>): string {
  const counts = new Map<string, number>();
  for (const r of replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return counts.size ? `: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}` : '';
}

/** A crash-looping instance's restart backoff: "crash loop, next start in 40s (3 crashes in a row: exited with code 1)". */
export function backoffLine(p: api.InstanceProblem, now = Date.now()): string {
  const next = Date.parse(p.nextRetryAt);
  const wait = Number.isFinite(next) ? Math.round((next - now) / 1000) : 0;
  return `crash loop, ${wait > 0 ? `next start in ${wait}s` : 'starting again now'} (${p.attempts} crash(es) in a row; last: ${p.error})`;
}

/** One firing alert of an instance: severity, check, since when, team, output. */
export function firingLine(a: api.FiringAlert): string {
  return `${a.severity.toUpperCase()} ${a.check} since ${a.raisedAt}${a.team ? ` (team ${a.team}${a.page ? ', pages' : ''})` : ''}: ${a.output.replace(/\s+/g, ' ').slice(0, 200)}`;
}

/** One engine error of a replica: what failed, how often, when it is tried again, the engine's words. */
export function problemLine(p: api.InstanceProblem, now = Date.now()): string {
  const who = p.replicaName || p.replicaId.slice(0, 12) || '(instance)';
  const next = Date.parse(p.nextRetryAt);
  const retry = Number.isFinite(next) ? `, next retry in ${Math.max(0, Math.round((next - now) / 1000))}s` : '';
  return `${who}: ${p.action} failed ${p.attempts}x${retry}: ${p.error}`;
}
