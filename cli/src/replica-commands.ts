import { ClientReadableStream, Metadata, ServiceError, status as grpcStatus } from '@grpc/grpc-js';
import { Command } from 'commander';
import { api } from '@orzo/contracts';
import { ControlApiOptions, requestedBy, unary, withControlApi } from './api-commands';
import { CliContext, EXIT, Output, UsageError, action, controlApiOption, jsonOption, serviceOption } from './command-kit';

/** restart and autoscale (alias scale): operator controls of running instances. */
export function registerReplicaCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('Operating instances (through control-api):');
  const instanceVerb = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .addOption(serviceOption())
      .option('-c, --cluster <cluster>', 'the cluster (required)')
      .option('-i, --instance <instance>', 'the instance (required)');
  instanceVerb('restart', "replace every replica through the instance's bounce method (no request lost with crossover)")
    .option('--replica <id>', 'replace only this replica (drained through discovery first); ids in orzo status -v')
    .addOption(jsonOption('one JSON document: the RestartInstance answer'))
    .addOption(controlApiOption())
    .action(action<RestartOptions>(ctx, (o) => restart(o, ctx.io)));
  instanceVerb('autoscale', 'show or override the replica count of an instance (clamped to min_instances..max_instances)')
    .alias('scale')
    .option('--set <n>', 'run this many replicas (an override of instances)')
    .option('--for <duration>', 'with --set: the override lapses after this long (30m, 3h, 1d)')
    .option('--clear', 'drop the override: back to the configured instances')
    .addOption(jsonOption('one JSON document: the Autoscale answer'))
    .addOption(controlApiOption())
    .action(action<AutoscaleOptions>(ctx, (o) => autoscale(o, ctx.io)));
}

interface InstanceOptions extends ControlApiOptions {
  service?: string;
  cluster?: string;
  instance?: string;
  json?: boolean;
}

function requireInstance(verb: string, v: InstanceOptions): { service: string; cluster: string; instance: string } {
  if (!v.service || !v.cluster || !v.instance) throw new UsageError(`${verb} needs -s <service> -c <cluster> -i <instance>`);
  return { service: v.service, cluster: v.cluster, instance: v.instance };
}

interface RestartOptions extends InstanceOptions {
  replica?: string;
}

/** orzo restart -s -c -i [--replica id] */
export async function restart(v: RestartOptions, io: Output): Promise<number> {
  const target = requireInstance('restart', v);
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.RestartInstanceRequest, api.RestartInstanceResponse>(c, 'restartInstance', {
      ...target,
      replicaId: v.replica ?? '',
      requestedBy: requestedBy(),
    });
    if (v.json) io.out(JSON.stringify(api.RestartInstanceResponse.toJSON(res), null, 2));
    else
      io.out(
        `${res.detail[0]!.toUpperCase()}${res.detail.slice(1)}. Follow with: orzo status -s ${target.service} -c ${target.cluster} -i ${target.instance} -v`,
      );
    return EXIT.ok;
  });
}

interface AutoscaleOptions extends InstanceOptions {
  set?: string;
  for?: string;
  clear?: boolean;
}

/** orzo autoscale -s -c -i [--set N [--for 3h] | --clear] */
export async function autoscale(v: AutoscaleOptions, io: Output): Promise<number> {
  const target = requireInstance('autoscale', v);
  if (v.set !== undefined && !/^\d+$/.test(v.set)) throw new UsageError(`--set ${v.set} is not a number of replicas`);
  if (v.set !== undefined && v.clear) throw new UsageError('give --set or --clear, not both');
  if (v.for !== undefined && v.set === undefined) throw new UsageError('--for needs --set');
  return withControlApi(v, io, async (c) => {
    const res = await unary<api.AutoscaleRequest, api.AutoscaleResponse>(c, 'autoscale', {
      ...target,
      hasSet: v.set !== undefined,
      set: Number(v.set ?? 0),
      expireAfter: v.for ?? '',
      clear: !!v.clear,
      requestedBy: requestedBy(),
    });
    if (v.json) {
      io.out(JSON.stringify(api.AutoscaleResponse.toJSON(res), null, 2));
      return EXIT.ok;
    }
    const where = `${target.service}.${target.instance} in ${target.cluster}`;
    if (res.clamped) io.out(`Asked for ${res.requested}: clamped to ${res.current} (min_instances ${res.minInstances}, max_instances ${res.maxInstances}).`);
    if (v.set !== undefined)
      io.out(`${where}: ${res.current} replicas${res.expiresAt ? ` until ${res.expiresAt}` : ' until cleared'} (configured ${res.configured}).`);
    else if (v.clear) io.out(`${where}: override cleared; back to the configured ${res.configured} replicas.`);
    else
      io.out(
        `${where}: ${res.current} replicas; configured ${res.configured} (min ${res.minInstances}, max ${res.maxInstances}); ${
          res.overridden ? `override ${res.current} set by ${res.setBy} at ${res.setAt}${res.expiresAt ? `, until ${res.expiresAt}` : ''}` : 'no override'
        }`,
      );
    return EXIT.ok;
  });
}

export interface InstanceLogsOptions extends ControlApiOptions {
  service?: string;
  cluster?: string;
  instance?: string;
  replica?: string;
  follow?: boolean;
  lines?: string;
  since?: string;
  stream?: string;
  json?: boolean;
}

/**
 * orzo logs -s svc [-c] [-i] [--replica] [-f] [-n] [--since] [--stream]: the replicas' output,
 * interleaved by time, each line prefixed with its replica; -f follows (replicas that start
 * later too) until Ctrl-C.
 */
export async function instanceLogs(v: InstanceLogsOptions, io: Output, signal?: AbortSignal): Promise<number> {
  if (!v.service) throw new UsageError('logs needs -s <service>');
  if (v.lines !== undefined && !/^\d+$/.test(v.lines)) throw new UsageError(`-n ${v.lines} is not a number of lines`);
  if (v.stream !== undefined && !['stdout', 'stderr'].includes(v.stream)) throw new UsageError(`--stream ${v.stream} is not stdout or stderr`);
  return withControlApi(v, io, async (c) => {
    const call: ClientReadableStream<api.InstanceLogLine> = c.getInstanceLogs(
      {
        service: v.service!,
        cluster: v.cluster ?? '',
        instance: v.instance ?? '',
        replicaId: v.replica ?? '',
        follow: !!v.follow,
        lines: Number(v.lines ?? 0),
        since: v.since ?? '',
        stream: v.stream ?? '',
      },
      new Metadata(),
    );
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort);
    try {
      await new Promise<void>((resolve, reject) => {
        call.on('data', (l: api.InstanceLogLine) =>
          io.out(v.json ? JSON.stringify(api.InstanceLogLine.toJSON(l)) : `${l.at.slice(0, 23)} ${prefix(l)} ${l.stream === 'stderr' ? '! ' : ''}${l.line}`),
        );
        call.on('end', resolve);
        call.on('error', (err: ServiceError) => (err.code === grpcStatus.CANCELLED && signal?.aborted ? resolve() : reject(err)));
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return signal?.aborted ? EXIT.interrupted : EXIT.ok;
  });
}

/** "<cluster>.<instance>/<replica 12>": which replica a line is from. */
function prefix(l: api.InstanceLogLine): string {
  return `[${l.cluster}.${l.instance}/${l.replicaId.slice(0, 12)}]`;
}

/** instanceLogs with Ctrl-C ending a follow (exit 130), as the binary runs it. */
export async function instanceLogsUntilInterrupted(v: InstanceLogsOptions, io: Output): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  if (v.follow) process.on('SIGINT', onSigint);
  try {
    return await instanceLogs(v, io, abort.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
