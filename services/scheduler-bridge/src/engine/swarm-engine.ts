import Docker from 'dockerode';
import { registryOfImage } from '@orzo/contracts';
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
  OneShotContainer,
  OneShotRequest,
  OneShotResult,
  readLogs,
  isStatus,
  labelFilters,
  replicaLabels,
  replicaName,
} from './engine';
import { NoOneOffs, OneOffLogs, OneOffRequest, OneOffState } from './one-off';
import { DockerEngine } from '../docker-engine';
import { followEngineEvents } from './event-stream';
import { imageInRegistry } from './registry-lookup';
import type { ExecResult } from './docker-exec';

/** What the Engine API says of a task (the fields read here). */
interface Task {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  DesiredState: string;
  CreatedAt: string;
  Status: {
    State: string;
    Timestamp?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ExitCode?: number };
    PortStatus?: { Ports?: Array<{ PublishedPort?: number }> };
  };
}

interface SwarmNodeInfo {
  ID: string;
  Status: { State: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
}

interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate: { ContainerSpec: { Image: string; StopGracePeriod?: number } };
    Mode: { Replicated?: { Replicas?: number } };
  };
}

/** A task in one of these states will never run again. */
const FINISHED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

/**
 * Docker Swarm as a cluster engine, through a manager's Engine API. One replica is one Swarm
 * service of one task (replicas 1, restart condition none, the container port published in
 * host mode on an ephemeral port): the reconciler keeps deciding which replica starts and
 * which one drains, exactly as on one Docker host, and Swarm decides where (placement,
 * resources, spread). A replica's id is its service id (stable for its life; its one task is
 * never replaced, as nothing restarts it); its address is its node's and the port Swarm
 * published. A task on a node that is not ready is a dead replica: nothing reschedules it, the
 * reconciler removes it and starts a replacement, which Swarm places on a live node.
 *
 * Swarm's manager reports service and node events but not task ones (API 1.41): a task that
 * exits is seen by the reconciler's timer, a node that goes down by its node event.
 */
export class SwarmEngine implements Engine {
  /** One-off runs (orzo remote-run) would be a Swarm job service (mode replicated-job): not yet. */
  private readonly oneOffs = new NoOneOffs('one-off runs (orzo remote-run) are not supported on a swarm cluster yet; run them on a docker cluster');

  constructor(
    readonly docker: Docker,
    private readonly options: { startTimeoutMs?: number; pollMs?: number } = {},
  ) {}

  runOneOff(req: OneOffRequest): Promise<OneOffState> {
    return this.oneOffs.runOneOff(req);
  }

  oneOffState(id: string): Promise<OneOffState | undefined> {
    return this.oneOffs.oneOffState(id);
  }

  oneOffLogs(id: string): Promise<OneOffLogs> {
    return this.oneOffs.oneOffLogs(id);
  }

  /** Whether the image is on the manager (the other nodes pull, or are given it by hand). */
  hasImage(image: string): Promise<boolean> {
    return new DockerEngine(this.docker).hasImage(image);
  }

  /**
   * A registry image exists when its registry has its manifest (every node pulls it from
   * there); an image without a registry must be on the manager (and, to run elsewhere, on the
   * other nodes: a swarm cluster wants `registry:` in orzo.yaml). A registry that cannot be
   * asked is an error, not a "no".
   */
  async ensureImage(image: string): Promise<ImageAvailability> {
    if (registryOfImage(image)) {
      return (await imageInRegistry(image)) ? { ok: true } : { ok: false, why: `and its registry ${registryOfImage(image)} does not have it` };
    }
    return (await this.hasImage(image)) ? { ok: true } : { ok: false, why: 'on the swarm manager, and its name has no registry for the nodes to pull it from' };
  }

  /**
   * Creates the replica's service and resolves when its task runs, with its node and port; a
   * task Swarm cannot place or start (no node fits, the pull failed) fails the start with
   * Swarm's reason, and its service is removed.
   */
  async run(req: ReplicaRequest): Promise<Replica> {
    const available = await this.ensureImage(req.image);
    if (!available.ok) throw new ImageNotFoundError(req.image, available.why);
    const labels = replicaLabels(req);
    const service = (await this.docker.createService({
      Name: replicaName(req),
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: req.image,
          Labels: labels,
          Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
          ...(req.cmd ? { Args: ['/bin/sh', '-c', req.cmd] } : req.args?.length ? { Args: req.args } : {}),
          // An init (tini) as PID 1 forwards SIGTERM: most servers run as PID 1 ignore it.
          Init: true,
          StopGracePeriod: Math.round((req.bounce?.terminationGracePeriodSeconds ?? 30) * 1e9),
        },
        Resources: { Limits: { NanoCPUs: Math.round(req.cpus * 1e9), MemoryBytes: Math.round(req.memMb * 1024 * 1024) } },
        RestartPolicy: { Condition: 'none' },
        ...(req.pool ? { Placement: { Constraints: [`node.labels.pool==${req.pool}`] } } : {}),
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: req.containerPort, PublishMode: 'host' }] },
    } as unknown as Docker.CreateServiceOptions)) as unknown as { id: string };
    try {
      return await this.untilRunning(service.id);
    } catch (err) {
      await this.remove(service.id).catch(() => undefined);
      throw err;
    }
  }

  private async untilRunning(serviceId: string): Promise<Replica> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 120_000);
    let last = 'no task yet';
    for (;;) {
      const [seen] = await this.look({ id: [serviceId] });
      if (seen?.replica.running && seen.replica.hostPort) return seen.replica;
      const status = seen?.task?.Status;
      if (status) {
        last = `${status.State}${status.Err ? `: ${status.Err}` : status.Message ? ` (${status.Message})` : ''}`;
        if (FINISHED.has(status.State) || status.Err) throw new Error(`swarm could not start ${seen.replica.name}: ${last}`);
      }
      if (Date.now() > deadline) throw new Error(`swarm did not start service ${serviceId} in time: ${last}`);
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 250));
    }
  }

  async list(filter: ReplicaFilter = {}): Promise<Replica[]> {
    return (await this.survey(filter)).replicas;
  }

  /** Orzo's replicas as services with the state of their task (one listing: nothing is unreadable alone). */
  async survey(filter: ReplicaFilter = {}): Promise<Survey> {
    return { replicas: (await this.look({ label: labelFilters(filter) })).map((s) => s.replica), unreadable: [] };
  }

  /**
   * Services, the newest task of each, and the node it runs on, in three listings. A service
   * removed between the first listing and the second makes the manager answer 404 to the
   * second: looked at again.
   */
  private async look(filters: Record<string, string[]>, attempts = 3): Promise<Array<{ replica: Replica; task?: Task }>> {
    const services = (await this.docker.listServices({ filters })) as unknown as ServiceInfo[];
    if (!services.length) return [];
    const ids = new Set(services.map((s) => s.ID));
    let tasks: Task[];
    try {
      tasks = (await this.docker.listTasks({ filters: { service: [...ids] } })) as Task[];
    } catch (err) {
      if (isStatus(err, 404) && attempts > 1) return this.look(filters, attempts - 1);
      throw err;
    }
    const nodes = (await this.docker.listNodes()) as SwarmNodeInfo[];
    const newest = tasks.filter((t) => ids.has(t.ServiceID)).sort((a, b) => b.CreatedAt.localeCompare(a.CreatedAt));
    const nodeById = new Map(nodes.map((n) => [n.ID, n]));
    return services.map((s) => {
      const task = newest.find((t) => t.ServiceID === s.ID);
      return { replica: toReplica(s, task, nodeById), task };
    });
  }

  /**
   * Scales the replica's service to 0 with the grace period: Swarm sends SIGTERM, then SIGKILL.
   * Resolves when its task no longer runs (or its node is gone: nothing there can be stopped).
   */
  async stop(id: string, graceSeconds: number): Promise<void> {
    const service = this.docker.getService(id);
    let info: ServiceInfo;
    try {
      info = (await service.inspect()) as ServiceInfo;
    } catch (err) {
      if (isStatus(err, 404)) return;
      throw err;
    }
    const grace = Math.max(0, Math.round(graceSeconds));
    if (info.Spec.Mode.Replicated?.Replicas !== 0) {
      const spec = info.Spec;
      spec.Mode = { Replicated: { Replicas: 0 } };
      spec.TaskTemplate.ContainerSpec.StopGracePeriod = grace * 1e9;
      await service.update({ version: info.Version.Index, ...spec });
    }
    const deadline = Date.now() + (grace + 15) * 1000;
    for (;;) {
      const [seen] = await this.look({ id: [id] });
      const replica = seen?.replica;
      if (!replica?.running) return;
      if (Date.now() > deadline) throw new Error(`replica ${replica.name} still runs ${grace + 15}s after its stop`);
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 250));
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  /**
   * Not on a swarm yet: the manager's API has no exec, and the task's container lives on a node
   * this bridge holds no Docker address for. A cmd check on a swarm cluster fails saying so.
   */
  exec(id: string): Promise<ExecResult> {
    return Promise.reject(
      new Error(`healthcheck_cmd cannot run on a swarm cluster yet (replica ${id}): the manager has no exec; use healthcheck_mode http, https or tcp`),
    );
  }

  /** The service's output through the manager (`docker service logs`), whichever node its task ran on. */
  async logs(id: string, opts: LogOptions): Promise<LogLine[]> {
    return readLogs(this.docker.getService(id) as unknown as { logs(options: object): Promise<unknown> }, opts);
  }

  /**
   * Not yet: a job's action on a swarm would be a replicated-job service (mode ReplicatedJob)
   * waited on through its task; refused with that explanation rather than run elsewhere.
   */
  runOnce(req: OneShotRequest): Promise<OneShotResult> {
    return Promise.reject(
      new Error(
        `cluster ${req.cluster} runs on a Docker Swarm: scheduler-bridge does not run timed jobs on swarm clusters yet (docs/architecture.md, "Timed jobs"); run jobs on a cluster with engine docker`,
      ),
    );
  }

  /** None: jobs do not run on swarm clusters yet. */
  listOneShots(): Promise<OneShotContainer[]> {
    return Promise.resolve([]);
  }

  /**
   * The manager's service and node events. A service removed (by hand, `docker service rm`)
   * or a node that changed (down, drained, back) may touch any instance: each is reported as
   * `affectsAll`, and the reconciler looks at every instance. Task exits are not events here:
   * the reconciler's timer sees them.
   */
  watch(onEvent: (e: EngineEvent) => void, hooks: WatchHooks = {}): () => void {
    return followEngineEvents(
      this.docker,
      { type: ['service', 'node'] },
      (e) => {
        if (e.Type === 'service' && e.Action !== 'remove') return;
        onEvent({ action: `${e.Type ?? 'swarm'} ${e.Action}`, containerId: e.Actor.ID, labels: {}, time: e.time, affectsAll: true });
      },
      hooks,
    );
  }
}

/** A service of Orzo's as a replica: its task's state, its node's address, its published port. */
function toReplica(s: ServiceInfo, task: Task | undefined, nodes: Map<string, SwarmNodeInfo>): Replica {
  const labels = s.Spec.Labels ?? {};
  const node = task?.NodeID ? nodes.get(task.NodeID) : undefined;
  const nodeReady = node?.Status.State === 'ready';
  const taskState = task?.Status.State ?? 'pending';
  const running = taskState === 'running' && nodeReady;
  return {
    id: s.ID,
    name: s.Spec.Name,
    service: labels[Labels.service] ?? '',
    instance: labels[Labels.instance] ?? '',
    cluster: labels[Labels.cluster] ?? '',
    gitSha: labels[Labels.gitSha] ?? '',
    configHash: labels[Labels.configHash] ?? '',
    forceBounce: labels[Labels.forceBounce] ?? '',
    image: s.Spec.TaskTemplate.ContainerSpec.Image.replace(/@sha256:[0-9a-f]+$/, ''),
    state: taskState === 'running' && node && !nodeReady ? `node ${node.Status.State}` : taskState,
    running,
    host: node ? nodeAddress(node) : '',
    hostPort: task?.Status.PortStatus?.Ports?.find((p) => p.PublishedPort)?.PublishedPort,
    startedAt: running ? task?.Status.Timestamp : undefined,
    exitCode: running ? undefined : task?.Status.ContainerStatus?.ExitCode,
    oomKilled: false,
    ...(taskState === 'running' && node && !nodeReady ? { lost: `its node ${node.Status.Addr ?? node.ID} is ${node.Status.State}` } : {}),
  };
}

/** The address a node advertises; a manager that listens on 0.0.0.0 reports it in its manager status. */
function nodeAddress(node: SwarmNodeInfo): string {
  const addr = node.Status.Addr ?? '';
  if (addr && addr !== '0.0.0.0') return addr;
  return (node.ManagerStatus?.Addr ?? '').replace(/:\d+$/, '');
}
