import { parseArgs } from 'node:util';
import { Metadata, ServiceError, credentials, status as grpcStatus } from '@grpc/grpc-js';
import { api } from '@orzo/contracts';
import type { Output } from './platform-runner';
import { UsageError } from './soa-commands';

const DEFAULT_ENDPOINT = '127.0.0.1:50051';

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

function client(values: Record<string, unknown>): api.ControlApiClient {
  const endpoint = (values['control-api'] as string | undefined) ?? process.env.ORZO_CONTROL_API ?? DEFAULT_ENDPOINT;
  return new api.ControlApiClient(endpoint, credentials.createInsecure());
}

export function unary<Req, Res>(
  c: api.ControlApiClient,
  method: 'markForDeployment' | 'getStatus' | 'listServices' | 'requestBuild' | 'cancelBuild' | 'listBuilds' | 'getLatestDeployment' | 'getHistory',
  req: Req,
): Promise<Res> {
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
export async function withControlApi(values: Record<string, unknown>, io: Output, fn: (c: api.ControlApiClient) => Promise<number>): Promise<number> {
  const c = client(values);
  try {
    return await fn(c);
  } catch (err) {
    return explain(err, io);
  } finally {
    c.close();
  }
}

function explain(err: unknown, io: Output): number {
  const e = err as ServiceError;
  // grpc-js says "No connection established" when control-api itself cannot be reached; an
  // UNAVAILABLE control-api sends (a service behind it is down) is shown as it says.
  if (e?.code === grpcStatus.UNAVAILABLE && /No connection established|ECONNREFUSED|Connection dropped/.test(e.details ?? ''))
    io.err(`control-api is not reachable (${e.details}); is the platform up (npm start)? Set ORZO_CONTROL_API or --control-api host:port`);
  else if (e?.code !== undefined) io.err(`${grpcStatus[e.code]}: ${e.details}`);
  else io.err(String(err));
  return 1;
}

/** orzo mark-for-deployment -s <service> -l <deploy_group> (--image <ref> | -c <sha>) */
export async function markForDeployment(argv: string[], io: Output): Promise<number> {
  const v = parse(argv, {
    service: { type: 'string', short: 's' },
    'deploy-group': { type: 'string', short: 'l' },
    image: { type: 'string' },
    commit: { type: 'string', short: 'c' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
  });
  if (!v.service || !v['deploy-group'] || (!v.image && !v.commit))
    throw new UsageError('mark-for-deployment needs -s <service> -l <deploy_group> and --image <ref> or -c <sha>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.MarkForDeploymentRequest, api.MarkForDeploymentResponse>(c, 'markForDeployment', {
      service: v.service as string,
      deployGroup: v['deploy-group'] as string,
      image: (v.image as string) ?? '',
      commitSha: (v.commit as string) ?? '',
      requestedBy: process.env.USER ?? 'orzo-cli',
    });
    io.out(`Marked ${res.image} for ${v.service} deploy group ${v['deploy-group']} (deploy ${res.deployId}).`);
    io.out(
      res.instances.length
        ? `Instances to converge: ${res.instances.join(', ')}. Follow with: orzo status -s ${v.service}`
        : 'No long-running instance uses this deploy group.',
    );
    if (!v.wait || res.instances.length === 0) return 0;
    const timeoutS = Number(v.timeout ?? 600);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout ${v.timeout} is not a number of seconds`);
    return await waitForDeploy(c, v.service as string, res, timeoutS, io);
  });
}

/**
 * --wait: follows the affected instances until each runs only the marked version with every
 * replica healthy, printing each change of progress; exit 1 on timeout with what is missing.
 */
async function waitForDeploy(c: api.ControlApiClient, service: string, mark: api.MarkForDeploymentResponse, timeoutS: number, io: Output): Promise<number> {
  const targets = new Set(mark.instances);
  const deadline = Date.now() + timeoutS * 1000;
  const last = new Map<string, string>();
  for (;;) {
    const st = await unary<api.GetStatusRequest, api.GetStatusResponse>(c, 'getStatus', { service, cluster: '', instance: '' });
    let done = true;
    for (const i of st.instances.filter((x) => targets.has(`${x.cluster}.${x.instance}`))) {
      const old = i.replicas.filter((r) => r.gitSha !== i.desiredGitSha).length;
      const line = `${i.cluster}.${i.instance}: ${i.state}; ${i.healthyReplicas}/${i.desiredReplicas} new replicas healthy${old ? `, ${old} old still running` : ''}`;
      if (last.get(i.instance) !== line) io.out(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
      last.set(i.instance, line);
      const image = mark.image;
      if (i.desiredImage !== image || i.state !== 'Running' || i.healthyReplicas < i.desiredReplicas) done = false;
    }
    if (done) {
      io.out(`Deployed ${mark.image}.`);
      return 0;
    }
    if (Date.now() > deadline) {
      io.err(`Timed out after ${timeoutS}s: ${[...last.values()].join('; ')}. Inspect with: orzo status -s ${service}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** orzo status -s <service> [-c cluster] [-i instance] [--json], in the shape of paasta status. */
export async function status(argv: string[], io: Output): Promise<number> {
  const v = parse(argv, {
    service: { type: 'string', short: 's' },
    cluster: { type: 'string', short: 'c' },
    instance: { type: 'string', short: 'i' },
    json: { type: 'boolean' },
  });
  if (!v.service) throw new UsageError('status needs -s <service>');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.GetStatusRequest, api.GetStatusResponse>(c, 'getStatus', {
      service: v.service as string,
      cluster: (v.cluster as string) ?? '',
      instance: (v.instance as string) ?? '',
    });
    if (v.json) {
      io.out(JSON.stringify(api.GetStatusResponse.toJSON(res), null, 2));
      return 0;
    }
    for (const i of res.instances) {
      io.out(`${res.service}.${i.instance} in ${i.cluster}`);
      io.out(`    Version:    ${i.desiredGitSha ? `${i.desiredGitSha.slice(0, 8)} (desired)` : '(none marked)'}`);
      io.out(`    State:      ${i.state}`);
      io.out(`    Replicas:   ${i.healthyReplicas} Healthy / ${i.desiredReplicas} desired (${i.replicas.length} running)`);
      for (const r of i.replicas)
        io.out(
          `      ${r.replicaId.slice(0, 12).padEnd(12)}  ${`${r.host}:${r.port}`.padEnd(21)}  ${r.gitSha.slice(0, 8)}${r.gitSha === i.desiredGitSha ? ' (new)' : ' (old)'}  ${r.state}`,
        );
      if (i.endpoints.length) io.out(`    Endpoints:  ${i.endpoints.join(', ')}`);
    }
    return 0;
  });
}
