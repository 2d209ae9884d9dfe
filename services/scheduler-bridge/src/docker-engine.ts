import Docker from 'dockerode';
import { type InstanceSpec, registryOfImage } from '@orzo/contracts';
import { followDockerStream } from '@orzo/platform';

/** Labels Orzo puts on every container it runs; they are how it finds its own after a restart. */
export const Labels = {
  managed: 'orzo.managed',
  service: 'orzo.service',
  instance: 'orzo.instance',
  cluster: 'orzo.cluster',
  gitSha: 'orzo.git_sha',
  configHash: 'orzo.config_hash',
  /** The restart token of the spec it was started from (`orzo restart`); absent: none. */
  forceBounce: 'orzo.force_bounce',
} as const;

/**
 * What a replica is made of: the engine-relevant part of the compiled InstanceSpec. `cmd` runs
 * under /bin/sh -c; `args` (when no cmd) replace the image's CMD.
 */
export type ReplicaRequest = Pick<
  InstanceSpec,
  'service' | 'instance' | 'cluster' | 'image' | 'gitSha' | 'configHash' | 'cpus' | 'memMb' | 'env' | 'containerPort'
> &
  Partial<Pick<InstanceSpec, 'cmd' | 'args' | 'forceBounce'>>;

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
  /** Docker's state: created, running, exited, dead, ... */
  state: string;
  running: boolean;
  /** The port on 127.0.0.1 that reaches the container port. */
  hostPort?: number;
  startedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
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
}

/**
 * The Docker Engine behind scheduler-bridge: runs, finds, stops and removes the replicas of
 * Orzo instances. Every container carries Orzo's labels, resource limits (cpus -> NanoCpus,
 * mem -> Memory), the instance env, and a host port on 127.0.0.1 for its container port.
 */
export class DockerEngine {
  constructor(readonly docker: Docker = new Docker()) {}

  /** Whether the image is on this engine (nothing can be pulled: no registry is reachable). */
  hasImage(image: string): Promise<boolean> {
    return this.docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
  }

  /**
   * Whether the image is on this engine, pulling it first when its name carries a registry
   * (<registry>/services-<service>:orzo-<sha>, pushed by the builder). A pull's errors arrive
   * inside its 200 stream, so every message is checked; the error says why it failed.
   */
  async ensureImage(image: string): Promise<{ ok: true } | { ok: false; why: string }> {
    if (await this.hasImage(image)) return { ok: true };
    if (!registryOfImage(image)) return { ok: false, why: 'and its name has no registry to pull it from' };
    try {
      await followDockerStream(this.docker.modem, (await this.docker.pull(image)) as NodeJS.ReadableStream);
    } catch (err) {
      return { ok: false, why: `and pulling it from ${registryOfImage(image)} failed: ${(err as Error).message}` };
    }
    return (await this.hasImage(image)) ? { ok: true } : { ok: false, why: `and ${registryOfImage(image)} did not provide it` };
  }

  async run(req: ReplicaRequest): Promise<Replica> {
    const available = await this.ensureImage(req.image);
    if (!available.ok) throw new ImageNotFoundError(req.image, available.why);
    const port = `${req.containerPort}/tcp`;
    const container = await this.docker.createContainer({
      name: `orzo-${req.service}-${req.instance}-${req.gitSha.slice(0, 8)}-${Math.random().toString(36).slice(2, 8)}`,
      Image: req.image,
      Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
      Labels: {
        [Labels.managed]: 'true',
        [Labels.service]: req.service,
        [Labels.instance]: req.instance,
        [Labels.cluster]: req.cluster,
        [Labels.gitSha]: req.gitSha,
        [Labels.configHash]: req.configHash,
        ...(req.forceBounce ? { [Labels.forceBounce]: req.forceBounce } : {}),
      },
      ...(req.cmd ? { Cmd: ['/bin/sh', '-c', req.cmd] } : req.args?.length ? { Cmd: req.args } : {}),
      ExposedPorts: { [port]: {} },
      HostConfig: {
        NanoCpus: Math.round(req.cpus * 1e9),
        Memory: Math.round(req.memMb * 1024 * 1024),
        PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
        RestartPolicy: { Name: 'no' },
        // An init (tini) as PID 1 forwards SIGTERM: most servers run as PID 1 ignore it.
        Init: true,
      },
    });
    await container.start();
    return this.inspect(container.id);
  }

  async inspect(id: string): Promise<Replica> {
    const info = await this.docker.getContainer(id).inspect();
    const labels = info.Config.Labels ?? {};
    const binding = Object.values(info.NetworkSettings.Ports ?? {}).find((b) => b && b.length)?.[0];
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      service: labels[Labels.service] ?? '',
      instance: labels[Labels.instance] ?? '',
      cluster: labels[Labels.cluster] ?? '',
      gitSha: labels[Labels.gitSha] ?? '',
      configHash: labels[Labels.configHash] ?? '',
      forceBounce: labels[Labels.forceBounce] ?? '',
      image: info.Config.Image,
      state: info.State.Status,
      running: info.State.Running,
      hostPort: binding ? Number(binding.HostPort) : undefined,
      startedAt: info.State.StartedAt,
      exitCode: info.State.Running ? undefined : info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
    };
  }

  /** Orzo's replicas (running or not), optionally of one service / instance / cluster. */
  async list(filter: ReplicaFilter = {}): Promise<Replica[]> {
    return (await this.survey(filter)).replicas;
  }

  /**
   * Orzo's replicas, and the containers among them the engine listed but could not inspect
   * (each with its error), so one unreadable container is reported instead of hidden.
   */
  async survey(filter: ReplicaFilter = {}): Promise<Survey> {
    const label = [`${Labels.managed}=true`];
    if (filter.service) label.push(`${Labels.service}=${filter.service}`);
    if (filter.instance) label.push(`${Labels.instance}=${filter.instance}`);
    if (filter.cluster) label.push(`${Labels.cluster}=${filter.cluster}`);
    const containers = await this.docker.listContainers({ all: true, filters: { label } });
    const survey: Survey = { replicas: [], unreadable: [] };
    await Promise.all(
      containers.map((c) =>
        this.inspect(c.Id).then(
          (r) => survey.replicas.push(r),
          (error: unknown) => !isStatus(error, 404) && survey.unreadable.push({ id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), error }),
        ),
      ),
    );
    return survey;
  }

  /** SIGTERM, then SIGKILL after the grace period. Stopping a stopped replica is not an error. */
  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (err) {
      if (!isStatus(err, 304) && !isStatus(err, 404)) throw err;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  /**
   * The output a replica wrote, each line with the engine's timestamp and its stream: the last
   * `tail` lines, optionally only since a time (unix seconds, fractional). Reads the
   * multiplexed log stream of a container without a TTY (Orzo never allocates one).
   */
  async logs(id: string, opts: { tail: number; since?: string; stdout: boolean; stderr: boolean }): Promise<LogLine[]> {
    const raw = (await this.docker.getContainer(id).logs({
      follow: false,
      stdout: opts.stdout,
      stderr: opts.stderr,
      timestamps: true,
      tail: opts.tail,
      ...(opts.since ? { since: opts.since as unknown as number } : {}),
    })) as unknown as Buffer;
    return demuxLogs(raw);
  }

  /**
   * Follows the engine's container events for Orzo's replicas (die, oom, start, destroy,
   * health_status). The stream ends when the engine stops or restarts: it reconnects by itself
   * with backoff (`since` the last event, so none is missed while the engine kept running),
   * reporting each break and each reconnection, after which the caller should look at
   * everything again (events of a restarting engine are not all replayed). Returns a function
   * that stops it.
   */
  watch(onEvent: (e: EngineEvent) => void, hooks: WatchHooks = {}): () => void {
    let stopped = false;
    let since = Math.floor(Date.now() / 1000);
    let current: NodeJS.ReadableStream | undefined;
    let failures = 0;
    let broken = false;
    const connect = async (): Promise<void> => {
      while (!stopped) {
        let why: Error | undefined;
        try {
          const stream = (await this.docker.getEvents({ since, filters: { type: ['container'], label: [`${Labels.managed}=true`] } })) as NodeJS.ReadableStream;
          current = stream;
          failures = 0;
          if (broken) {
            broken = false;
            hooks.onReconnect?.();
          }
          let buffer = '';
          why = await new Promise<Error>((resolve) => {
            stream.on('data', (chunk: Buffer) => {
              buffer += chunk.toString();
              const lines = buffer.split('\n');
              buffer = lines.pop() ?? '';
              for (const line of lines) {
                if (!line.trim()) continue;
                const e = JSON.parse(line) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> }; time: number };
                since = e.time;
                const { exitCode, ...labels } = e.Actor.Attributes;
                onEvent({ action: e.Action, containerId: e.Actor.ID, labels, exitCode: exitCode !== undefined ? Number(exitCode) : undefined, time: e.time });
              }
            });
            stream.on('end', () => resolve(new Error('the engine closed the events stream')));
            stream.on('error', (err: Error) => resolve(err));
            // A killed engine may drop the connection without an end.
            stream.on('close', () => resolve(new Error('the events stream was closed')));
          });
        } catch (err) {
          why = err as Error;
        }
        if (stopped) return;
        broken = true;
        const delay = WATCH_BACKOFF_MS[Math.min(failures++, WATCH_BACKOFF_MS.length - 1)]!;
        hooks.onBreak?.(why, delay);
        await new Promise((r) => setTimeout(r, delay));
      }
    };
    void connect();
    return () => {
      stopped = true;
      (current as unknown as { destroy?: () => void })?.destroy?.();
    };
  }
}

/**
 * Reconnection delays of the events stream: short, because an engine that answers again must
 * be served again within seconds (the reconnection triggers a full reconcile).
 */
const WATCH_BACKOFF_MS = [250, 500, 1_000] as const;

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
  unreadable: Array<{ id: string; name: string; error: unknown }>;
}

export interface LogLine {
  /** RFC 3339 as the engine stamped it (nanoseconds, trailing zeros trimmed). */
  at: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * Splits Docker's multiplexed log stream (frames of an 8-byte header: stream type, 3 zero
 * bytes, a big-endian length) into lines, each starting with the timestamp Docker added.
 */
export function demuxLogs(raw: Buffer): LogLine[] {
  const lines: LogLine[] = [];
  const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const type = raw[offset];
    const length = raw.readUInt32BE(offset + 4);
    const stream = type === 2 ? 'stderr' : 'stdout';
    const text = partial[stream] + raw.subarray(offset + 8, offset + 8 + length).toString('utf8');
    offset += 8 + length;
    const parts = text.split('\n');
    partial[stream] = parts.pop() ?? '';
    for (const part of parts) lines.push(stampedLine(part, stream));
  }
  for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) lines.push(stampedLine(partial[stream], stream));
  return lines;
}

function stampedLine(text: string, stream: 'stdout' | 'stderr'): LogLine {
  const space = text.indexOf(' ');
  return space > 0 ? { at: text.slice(0, space), stream, line: text.slice(space + 1) } : { at: text, stream, line: '' };
}

function isStatus(err: unknown, code: number): boolean {
  return (err as { statusCode?: number })?.statusCode === code;
}
