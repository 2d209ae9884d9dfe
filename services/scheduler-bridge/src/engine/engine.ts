import type { InstanceSpec } from '@orzo/contracts';
import type { ExecResult } from './docker-exec';
import type { OneOffRunner } from './one-off';

/**
 * What scheduler-bridge needs from a cluster engine, whatever runs the containers: one Docker
 * host (DockerEngine) or a Docker Swarm (SwarmEngine). The reconciler, the bounce rule, health
 * gating and adoption after a restart are written against this interface only; a replica is
 * one running copy of an instance, wherever the engine placed it (`host`, `hostPort`).
 */
export interface Engine extends OneOffRunner {
  /** Whether the image is available to this engine without a pull. */
  hasImage(image: string): Promise<boolean>;
  /** Whether the engine can run the image (pulling it or finding it in its registry); why not. */
  ensureImage(image: string): Promise<ImageAvailability>;
  /** Starts one replica; resolves when it runs. ImageNotFoundError when its image does not exist. */
  run(req: ReplicaRequest): Promise<Replica>;
  /** Orzo's replicas (running or not), and the ones listed but unreadable. */
  survey(filter?: ReplicaFilter): Promise<Survey>;
  list(filter?: ReplicaFilter): Promise<Replica[]>;
  /** SIGTERM, then SIGKILL after the grace period; resolves when it no longer runs. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Removes a replica; removing one that is gone is not an error. */
  remove(id: string): Promise<void>;
  /** Follows the engine's events of Orzo's replicas; returns a function that stops it. */
  watch(onEvent: (e: EngineEvent) => void, hooks?: WatchHooks): () => void;
  /** A replica's recent output, oldest first: the last `tail` lines, since `since` (unix seconds, fractional) when given. */
  logs(id: string, opts: LogOptions): Promise<LogLine[]>;
  /** Runs `cmd` under /bin/sh -c inside a running replica (healthcheck_cmd); ReplicaNotRunningError when it does not run. */
  exec(id: string, cmd: string, timeoutMs: number): Promise<ExecResult>;
  /**
   * Runs a command in a running replica (lifecycle.pre_stop_command) and resolves with its exit
   * code and output when it ends or after `timeoutMs` (exitCode -1 then). Absent: the engine
   * cannot (a swarm replica may run on another node).
   */
  runIn?(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /**
   * Runs one container of a timed job's action to its end: starts it, waits for its exit
   * (killing it past `maxRuntimeMs`), reads the tail of its output, removes it. ImageNotFoundError
   * when its image does not exist.
   */
  runOnce(req: OneShotRequest, opts?: OneShotOptions): Promise<OneShotResult>;
  /** The job containers of a cluster that still exist (running, or left by a scheduler that died). */
  listOneShots(cluster: string): Promise<OneShotContainer[]>;
}

export interface OneShotContainer {
  id: string;
  runId: string;
  /** `<service>.<job>` */
  job: string;
  action: string;
  running: boolean;
}

/** One attempt of one action of a job run: a container that is not a replica of any instance. */
export interface OneShotRequest {
  service: string;
  cluster: string;
  job: string;
  runId: string;
  action: string;
  attempt: number;
  image: string;
  gitSha: string;
  /** Runs under /bin/sh -c. */
  cmd: string;
  /** 0: no limit. */
  cpus: number;
  /** 0: no limit. */
  memMb: number;
  env: Record<string, string>;
}

export interface OneShotOptions {
  /** Killed (SIGKILL) past this; 0 or absent: no limit. */
  maxRuntimeMs?: number;
  /** Called once the container runs (for logs and alerts while it runs). */
  onStarted?(containerId: string): void;
}

export interface OneShotResult {
  containerId: string;
  exitCode: number;
  /** Killed past maxRuntimeMs. */
  killed: boolean;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  /** The last bytes of its stdout and stderr (ONE_SHOT_LOG_BYTES at most). */
  log: string;
}

/** How much of a job container's output is kept in the run's result. */
export const ONE_SHOT_LOG_BYTES = 64 * 1024;

/** The last `max` bytes of `text` (cut at a line start where one is near). */
export function tailBytes(text: string, max = ONE_SHOT_LOG_BYTES): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= max) return text;
  const cut = buf
    .subarray(buf.length - max)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
  const nl = cut.indexOf('\n');
  return nl >= 0 && nl < 1024 ? cut.slice(nl + 1) : cut;
}

/**
 * Labels of a job container. It carries no `orzo.managed` label: the reconciler, its events
 * watch and every survey of replicas select on that label, so a job container is never taken
 * for a replica of an instance (nor removed as a stray one).
 */
export const JobLabels = {
  job: 'orzo.job',
  run: 'orzo.job.run',
  action: 'orzo.job.action',
  attempt: 'orzo.job.attempt',
} as const;

export function oneShotLabels(req: OneShotRequest): Record<string, string> {
  return {
    [JobLabels.job]: `${req.service}.${req.job}`,
    [JobLabels.run]: req.runId,
    [JobLabels.action]: req.action,
    [JobLabels.attempt]: String(req.attempt),
    [Labels.service]: req.service,
    [Labels.cluster]: req.cluster,
    [Labels.gitSha]: req.gitSha,
  };
}

/** A readable, unique container name for an attempt. */
export function oneShotName(req: OneShotRequest): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return `orzo-job-${clean(req.service)}-${clean(req.job)}-${clean(req.action)}-${Math.random().toString(36).slice(2, 8)}`;
}

export type { ExecResult } from './docker-exec';

export interface LogOptions {
  tail: number;
  since?: string;
  stdout: boolean;
  stderr: boolean;
}

export interface LogLine {
  /** RFC 3339 as the engine stamped it (nanoseconds, trailing zeros trimmed). */
  at: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** The frames of Docker's multiplexed stream (8-byte headers: stream type, 3 zero bytes, big-endian length), in order. */
export function* dockerFrames(raw: Buffer): Generator<{ stream: 'stdout' | 'stderr'; payload: Buffer }> {
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const length = raw.readUInt32BE(offset + 4);
    yield { stream: raw[offset] === 2 ? 'stderr' : 'stdout', payload: raw.subarray(offset + 8, offset + 8 + length) };
    offset += 8 + length;
  }
}

/**
 * Splits Docker's multiplexed log stream (frames of an 8-byte header: stream type, 3 zero
 * bytes, a big-endian length) into lines, each starting with the timestamp Docker added.
 * Container logs and Swarm service logs use the same framing.
 */
export function demuxLogs(raw: Buffer): LogLine[] {
  const lines: LogLine[] = [];
  const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for (const { stream, payload } of dockerFrames(raw)) {
    const text = partial[stream] + payload.toString('utf8');
    const parts = text.split('\n');
    partial[stream] = parts.pop() ?? '';
    for (const part of parts) lines.push(stampedLine(part, stream));
  }
  for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) lines.push(stampedLine(partial[stream], stream));
  return lines;
}

/**
 * The recent output of a container or a Swarm service (both answer `logs` alike in the Engine
 * API): without a TTY (Orzo never allocates one) the stream is multiplexed, with timestamps.
 */
export async function readLogs(source: { logs(options: object): Promise<unknown> }, opts: LogOptions): Promise<LogLine[]> {
  const raw = (await source.logs({
    stdout: opts.stdout,
    stderr: opts.stderr,
    timestamps: true,
    tail: opts.tail,
    ...(opts.since ? { since: opts.since } : {}),
  })) as Buffer;
  return demuxLogs(raw);
}

function stampedLine(text: string, stream: 'stdout' | 'stderr'): LogLine {
  const space = text.indexOf(' ');
  return space > 0 ? { at: text.slice(0, space), stream, line: text.slice(space + 1) } : { at: text, stream, line: '' };
}

export type ImageAvailability = { ok: true } | { ok: false; why: string };

/** Labels Orzo puts on every container (and Swarm service) it runs; they are how it finds its own after a restart. */
export const Labels = {
  managed: 'orzo.managed',
  service: 'orzo.service',
  instance: 'orzo.instance',
  cluster: 'orzo.cluster',
  gitSha: 'orzo.git_sha',
  configHash: 'orzo.config_hash',
  /** The restart token of the spec it was started from (`orzo restart`); absent: none. */
  forceBounce: 'orzo.force_bounce',
  /** The container port health checks go to, when not the service port (healthcheck_port). */
  checkPort: 'orzo.check_port',
} as const;

/**
 * What a replica is made of: the engine-relevant part of the compiled InstanceSpec. `cmd` runs
 * under /bin/sh -c; `args` (when no cmd) replace the image's CMD.
 */
export type ReplicaRequest = Pick<
  InstanceSpec,
  'service' | 'instance' | 'cluster' | 'image' | 'gitSha' | 'configHash' | 'cpus' | 'memMb' | 'env' | 'containerPort'
> &
  Partial<Pick<InstanceSpec, 'cmd' | 'args' | 'bounce' | 'pool' | 'forceBounce' | 'cpuBurstAdd' | 'diskMb' | 'healthcheck'>>;

/** The labels of a replica of `req`. */
export function replicaLabels(req: ReplicaRequest): Record<string, string> {
  return {
    [Labels.managed]: 'true',
    [Labels.service]: req.service,
    [Labels.instance]: req.instance,
    [Labels.cluster]: req.cluster,
    [Labels.gitSha]: req.gitSha,
    [Labels.configHash]: req.configHash,
    ...(req.forceBounce ? { [Labels.forceBounce]: req.forceBounce } : {}),
  };
}

/** A unique, readable name for a new replica of `req`. */
export function replicaName(req: ReplicaRequest): string {
  return `orzo-${req.service}-${req.instance}-${req.gitSha.slice(0, 8)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The label filters of a survey. */
export function labelFilters(filter: ReplicaFilter): string[] {
  const label = [`${Labels.managed}=true`];
  if (filter.service) label.push(`${Labels.service}=${filter.service}`);
  if (filter.instance) label.push(`${Labels.instance}=${filter.instance}`);
  if (filter.cluster) label.push(`${Labels.cluster}=${filter.cluster}`);
  return label;
}

export interface Replica {
  id: string;
  name: string;
  service: string;
  instance: string;
  cluster: string;
  gitSha: string;
  configHash: string;
  /** The restart token it was started with ('' for none). */
  forceBounce: string;
  image: string;
  /** The engine's state: created, running, exited, dead, ... (Swarm: the task's state, or "node down"). */
  state: string;
  running: boolean;
  /** Where the replica answers: 127.0.0.1 on one Docker host, the node's address in a swarm. */
  host: string;
  /** The port on `host` that reaches the container port. */
  hostPort?: number;
  /** The port on `host` that reaches the healthcheck_port, when the instance checks another port. */
  checkPort?: number;
  /** Its address on the engine's bridge network, reachable from the engine's host (a local Docker engine only). */
  bridge?: { ip: string; port: number };
  startedAt?: string;
  /** When a replica that no longer runs stopped (with startedAt, how long it ran). */
  finishedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
  /** Why a replica that did not exit is gone all the same (a swarm node that went down). */
  lost?: string;
}

export class ImageNotFoundError extends Error {
  constructor(
    readonly image: string,
    why = 'and its name has no registry to pull it from',
  ) {
    super(`image ${image} does not exist on this Docker engine ${why}`);
    this.name = 'ImageNotFoundError';
  }
}

export interface EngineEvent {
  action: string;
  containerId: string;
  labels: Record<string, string>;
  exitCode?: number;
  time: number;
  /** A change that may touch replicas of any instance (a swarm node went down): look at all of them. */
  affectsAll?: boolean;
}

export interface WatchHooks {
  /** The stream broke (engine stopped, restarted, unreachable); the next try is in `retryInMs`. */
  onBreak?(err: Error, retryInMs: number): void;
  /** The stream is back after a break. */
  onReconnect?(): void;
}

export interface ReplicaFilter {
  service?: string;
  instance?: string;
  cluster?: string;
}

export interface Survey {
  replicas: Replica[];
  /** Listed but not readable; with the instance its labels name, where the listing gave them. */
  unreadable: Array<{ id: string; name: string; error: unknown } & Partial<Pick<Replica, 'service' | 'instance' | 'cluster'>>>;
}

export function isStatus(err: unknown, code: number): boolean {
  return (err as { statusCode?: number })?.statusCode === code;
}
