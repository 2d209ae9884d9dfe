import Docker from 'dockerode';
import { registryOfImage } from '@orzo/contracts';
import { followDockerStream } from '@orzo/platform';
import {
  Engine,
  EngineEvent,
  ImageAvailability,
  ImageNotFoundError,
  Labels,
  Replica,
  ReplicaFilter,
  ReplicaRequest,
  Survey,
  WatchHooks,
  LogLine,
  LogOptions,
  JobLabels,
  OneShotContainer,
  OneShotOptions,
  OneShotRequest,
  OneShotResult,
  oneShotLabels,
  oneShotName,
  readLogs,
  tailBytes,
  isStatus,
  labelFilters,
  replicaLabels,
  replicaName,
} from './engine/engine';
import { followEngineEvents } from './engine/event-stream';
import { ExecResult, dockerExec } from './engine/docker-exec';
import { DockerOneOffs, OneOffLogs, OneOffRequest, OneOffState } from './engine/one-off';
import { InspectedReplicas } from './engine/inspected-replicas';

// The engine's types were declared here first; importers keep finding them here.
export { ImageNotFoundError, Labels } from './engine/engine';
export type { EngineEvent, LogLine, Replica, ReplicaFilter, ReplicaRequest, Survey, WatchHooks } from './engine/engine';
export { demuxLogs } from './engine/engine';

/**
 * The Docker Engine behind scheduler-bridge: runs, finds, stops and removes the replicas of
 * Orzo instances. Every container carries Orzo's labels, resource limits (cpus + cpu_burst_add -> NanoCpus,
 * mem -> Memory), the instance env, and a host port on 127.0.0.1 for its container port.
 */
export class DockerEngine implements Engine {
  private readonly oneOffs: DockerOneOffs;
  /**
   * Running replicas as last inspected, kept by the events stream: reused from listings while
   * nothing happened to them, and a replica that just died is known from it and its `die`.
   */
  private readonly inspected = new InspectedReplicas();
  private cpusOfHost?: number;
  /** Whether this engine limits a container's disk (--storage-opt size); undefined until tried. */
  diskLimits?: boolean;

  /**
   * `bridgeAddresses`: whether replicas report their bridge-network address (only true where
   * this process's host is the engine's: a local socket, not a remote tcp:// engine).
   */
  constructor(
    readonly docker: Docker = new Docker(),
    private readonly bridgeAddresses = true,
  ) {
    this.oneOffs = new DockerOneOffs(docker, (image) => this.ensureImage(image));
  }

  /** One-off runs (orzo remote-run): engine/one-off.ts. */
  runOneOff(req: OneOffRequest): Promise<OneOffState> {
    return this.oneOffs.runOneOff(req);
  }

  oneOffState(id: string): Promise<OneOffState | undefined> {
    return this.oneOffs.oneOffState(id);
  }

  oneOffLogs(id: string): Promise<OneOffLogs> {
    return this.oneOffs.oneOffLogs(id);
  }

  /**
   * The CPU limit of a replica: cpus + cpu_burst_add (PaaSTA's limit; its request is cpus), at
   * most the host's CPUs (Docker refuses a NanoCpus above them).
   */
  private async cpuLimit(req: ReplicaRequest): Promise<number> {
    this.cpusOfHost ??= Number((await this.docker.info().catch(() => ({}))).NCPU) || Infinity;
    return Math.min(req.cpus + (req.cpuBurstAdd ?? 0), this.cpusOfHost);
  }

  /** lifecycle.pre_stop_command: the same Docker exec as a cmd health check, with argv as written. */
  async runIn(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const { exitCode, output } = await dockerExec(this.docker, id, argv, timeoutMs);
    return { exitCode, output };
  }

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
  async ensureImage(image: string): Promise<ImageAvailability> {
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
    const port = `${req.containerPort}/tcp`;
    // healthcheck_port: published too, so checks reach it from the host.
    const checkPort = req.healthcheck?.port && req.healthcheck.port !== req.containerPort ? `${req.healthcheck.port}/tcp` : undefined;
    // The image is looked for (and pulled) only when the engine says it lacks it: the usual
    // start, of an image that is there, waits for no image inspect before its create.
    const create = async (disk: boolean) => {
      const withDisk = { ...options, HostConfig: { ...options.HostConfig, ...(disk ? { StorageOpt: { size: `${Math.ceil(req.diskMb!)}M` } } : {}) } };
      try {
        return await this.docker.createContainer(withDisk);
      } catch (err) {
        if (!isStatus(err, 404)) throw err;
        const available = await this.ensureImage(req.image);
        if (!available.ok) throw new ImageNotFoundError(req.image, available.why);
        return this.docker.createContainer(withDisk);
      }
    };
    const options: Docker.ContainerCreateOptions = {
      name: replicaName(req),
      Image: req.image,
      Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...replicaLabels(req), ...(checkPort ? { [Labels.checkPort]: String(req.healthcheck!.port) } : {}) },
      ...(req.cmd ? { Cmd: ['/bin/sh', '-c', req.cmd] } : req.args?.length ? { Cmd: req.args } : {}),
      ExposedPorts: { [port]: {}, ...(checkPort ? { [checkPort]: {} } : {}) },
      HostConfig: {
        NanoCpus: Math.round((await this.cpuLimit(req)) * 1e9),
        Memory: Math.round(req.memMb * 1024 * 1024),
        PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }], ...(checkPort ? { [checkPort]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : {}) },
        RestartPolicy: { Name: 'no' },
        // An init (tini) as PID 1 forwards SIGTERM: most servers run as PID 1 ignore it.
        Init: true,
      },
    };
    // disk: the container's writable layer is limited to it where the storage driver can
    // (overlay2 on xfs with pquota); elsewhere Docker refuses --storage-opt, which is learnt
    // once and the replica runs without the limit (disk stays in its RESOURCE_DISK env).
    const disk = (req.diskMb ?? 0) > 0 && this.diskLimits !== false;
    let container: Docker.Container;
    try {
      container = await create(disk);
      if (disk) this.diskLimits = true;
    } catch (err) {
      if (!disk || !/storage-opt/i.test((err as Error).message)) throw err;
      this.diskLimits = false;
      container = await create(false);
    }
    await container.start();
    return this.inspect(container.id);
  }

  /** Reads a replica from the engine, and keeps what it read in the cache (engine/inspected-replicas.ts). */
  async inspect(id: string): Promise<Replica> {
    const mark = this.inspected.mark();
    const replica = await this.inspectNow(id);
    this.inspected.remember(replica, mark);
    return replica;
  }

  private async inspectNow(id: string): Promise<Replica> {
    const info = await this.docker.getContainer(id).inspect();
    const labels = info.Config.Labels ?? {};
    // With a healthcheck_port the container publishes two ports: the service's is the other one.
    const checkKey = labels[Labels.checkPort] ? `${labels[Labels.checkPort]}/tcp` : undefined;
    const ports = Object.entries(info.NetworkSettings.Ports ?? {});
    const service = ports.find(([k, b]) => k !== checkKey && b && b.length);
    const binding = service?.[1]?.[0];
    const bridgeIp = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
    const checkBinding = ports.find(([k, b]) => k === checkKey && b && b.length)?.[1]?.[0];
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
      host: '127.0.0.1',
      hostPort: binding ? Number(binding.HostPort) : undefined,
      ...(checkBinding ? { checkPort: Number(checkBinding.HostPort) } : {}),
      ...(this.bridgeAddresses && info.State.Running && bridgeIp && service ? { bridge: { ip: bridgeIp, port: parseInt(service[0], 10) } } : {}),
      startedAt: info.State.StartedAt,
      ...(info.State.Running ? {} : { finishedAt: info.State.FinishedAt }),
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
    const containers = await this.docker.listContainers({ all: true, filters: { label: labelFilters(filter) } });
    const survey: Survey = { replicas: [], unreadable: [] };
    // A replica that just died is known from its `die` event (dockerd may hold its inspect for
    // a second); a running container inspected before, and of which the events stream said
    // nothing since, is not inspected again: a listing is then the only call.
    await Promise.all(
      containers.map((c) => {
        const known = this.inspected.justDied(c.Id) ?? this.inspected.fromListing(c);
        if (known) return survey.replicas.push(known);
        return this.inspect(c.Id).then(
          (r) => survey.replicas.push(r),
          (error: unknown) =>
            !isStatus(error, 404) &&
            survey.unreadable.push({
              id: c.Id,
              name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
              error,
              service: c.Labels?.[Labels.service],
              instance: c.Labels?.[Labels.instance],
              cluster: c.Labels?.[Labels.cluster],
            }),
        );
      }),
    );
    this.inspected.keepOnly(filter, new Set(containers.map((c) => c.Id)));
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
  async logs(id: string, opts: LogOptions): Promise<LogLine[]> {
    return readLogs(this.docker.getContainer(id) as unknown as { logs(options: object): Promise<unknown> }, opts);
  }

  /** healthcheck_cmd: `cmd` inside the container, with its timeout. */
  exec(id: string, cmd: string, timeoutMs: number): Promise<ExecResult> {
    return dockerExec(this.docker, id, ['/bin/sh', '-c', cmd], timeoutMs);
  }

  /**
   * One attempt of a job's action: a container without Orzo's replica label (the reconciler
   * never sees it), no port, the action's limits; waited to its exit or killed past
   * maxRuntimeMs; its output read, then the container removed, whatever happened.
   */
  async runOnce(req: OneShotRequest, opts: OneShotOptions = {}): Promise<OneShotResult> {
    const available = await this.ensureImage(req.image);
    if (!available.ok) throw new ImageNotFoundError(req.image, available.why);
    const container = await this.docker.createContainer({
      name: oneShotName(req),
      Image: req.image,
      Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
      Labels: oneShotLabels(req),
      Cmd: ['/bin/sh', '-c', req.cmd],
      HostConfig: {
        NanoCpus: Math.round(req.cpus * 1e9),
        Memory: Math.round(req.memMb * 1024 * 1024),
        RestartPolicy: { Name: 'no' },
        Init: true,
      },
    });
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Attach the wait before starting, so even an instant exit is seen.
      const exited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
      await container.start();
      opts.onStarted?.(container.id);
      if (opts.maxRuntimeMs && opts.maxRuntimeMs > 0) {
        timer = setTimeout(() => {
          killed = true;
          container.kill().catch(() => undefined);
        }, opts.maxRuntimeMs);
      }
      const { StatusCode } = await exited;
      clearTimeout(timer);
      const info = await container.inspect();
      const lines = await this.logs(container.id, { tail: 100_000, stdout: true, stderr: true });
      return {
        containerId: container.id,
        exitCode: StatusCode,
        killed,
        oomKilled: info.State.OOMKilled,
        startedAt: info.State.StartedAt,
        finishedAt: info.State.FinishedAt,
        log: tailBytes(lines.map((l) => l.line).join('\n')),
      };
    } finally {
      clearTimeout(timer);
      await this.remove(container.id).catch(() => undefined);
    }
  }

  async listOneShots(cluster: string): Promise<OneShotContainer[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [JobLabels.run, `${Labels.cluster}=${cluster}`] } });
    return containers.map((c) => ({
      id: c.Id,
      runId: c.Labels[JobLabels.run] ?? '',
      job: c.Labels[JobLabels.job] ?? '',
      action: c.Labels[JobLabels.action] ?? '',
      running: c.State === 'running',
    }));
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
    // While this stream is connected, what was inspected of a container stays valid until an event of it.
    let up = true;
    this.inspected.streamUp();
    const down = () => {
      if (up) this.inspected.streamDown();
      up = false;
    };
    const stop = followEngineEvents(
      this.docker,
      { type: ['container'], label: [`${Labels.managed}=true`] },
      (e) => {
        const { exitCode, ...labels } = e.Actor.Attributes;
        const code = exitCode !== undefined ? Number(exitCode) : undefined;
        this.inspected.changed(e.Actor.ID, e.Action, code, e.timeNano ? e.timeNano / 1e6 : e.time * 1000);
        onEvent({ action: e.Action, containerId: e.Actor.ID, labels, exitCode: code, time: e.time });
      },
      {
        onBreak: (err, retryInMs) => {
          // Events may have been missed meanwhile: neither an inspect nor a death remembered is trusted.
          down();
          hooks.onBreak?.(err, retryInMs);
        },
        onReconnect: () => {
          if (!up) this.inspected.streamUp();
          up = true;
          hooks.onReconnect?.();
        },
      },
    );
    return () => {
      down();
      stop();
    };
  }
}
