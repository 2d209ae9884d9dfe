import { z } from 'zod';
import { RpcContract, defineRpc } from './rpc-contract';
import { hostToken } from '../discovery-registry';

const cancelBuildRequest = z.object({ buildId: z.string().min(1, 'buildId is required'), by: z.string() });
const cancelBuildReply = z.object({ cancelled: z.boolean(), state: z.string() });
const imageExistsRequest = z.object({ image: z.string().min(1, 'image is required') });
const imageExistsReply = z.object({ exists: z.boolean() });
const proxyDrainedRequest = z.object({
  replicaId: z.string().min(1, 'replicaId is required'),
  /** Where HAProxy reaches it (ReplicaRef.host and port). */
  host: z.string().min(1, 'host is required'),
  port: z.number().int().min(1).max(65535),
  /**
   * Its address on its engine's bridge network, when it has one (Replica.bridge): a host's
   * HAProxy on the same engine reaches it there, so its slots and sessions are at that address.
   */
  bridgeIp: z.string().optional(),
  bridgePort: z.number().int().min(1).max(65535).optional(),
  /** How long the host may wait for it to be drained before answering (the drain delay). */
  withinMs: z.number().int().min(0),
});
const proxyDrainedReply = z.object({ drained: z.boolean(), detail: z.string() });

const listAlertsRequest = z.object({ service: z.string() });
const alertDelivery = z.object({
  sink: z.string(),
  state: z.enum(['delivered', 'pending']),
  deliveredAt: z.string(),
  attempts: z.number().int().min(0),
  lastError: z.string(),
});
const firingAlert = z.object({
  alertId: z.string(),
  check: z.string(),
  service: z.string(),
  instance: z.string(),
  cluster: z.string(),
  severity: z.string(),
  output: z.string(),
  team: z.string(),
  page: z.boolean(),
  runbook: z.string(),
  raisedAt: z.string(),
  failingSince: z.string(),
  repeats: z.number().int().min(0),
  deliveries: z.array(alertDelivery),
});
const listAlertsReply = z.object({ alerts: z.array(firingAlert) });

export type ListAlertsCall = z.output<typeof listAlertsRequest>;
export type ListAlertsAnswer = z.output<typeof listAlertsReply>;
const replicaOf = { service: z.string().min(1, 'service is required'), instance: z.string().min(1, 'instance is required') };
const restartReplicaRequest = z.object({ ...replicaOf, replicaId: z.string().min(1, 'replicaId is required'), by: z.string() });
const restartReplicaReply = z.object({ replicaId: z.string(), name: z.string() });
const replicaLogsRequest = z.object({
  service: z.string().min(1, 'service is required'),
  /** Empty: every instance of the service on this cluster. */
  instance: z.string(),
  /** A full id or a unique prefix; empty: every replica. */
  replicaId: z.string(),
  /** The last this many lines of each replica. */
  tail: z.number().int().min(1).max(10_000),
  /** Unix seconds with a fraction (the engine's `since`); empty: no lower bound. */
  since: z.string().regex(/^(\d+(\.\d{1,9})?)?$/, 'since is unix seconds'),
  stream: z.enum(['', 'stdout', 'stderr']),
});
const replicaLogsReply = z.object({
  /** The replicas looked at (a replica started later shows up in a later request). */
  replicas: z.array(z.object({ id: z.string(), name: z.string(), instance: z.string(), running: z.boolean() })),
  /** Ordered by time; `at` is RFC 3339 with exactly 9 fraction digits, so strings compare as times. */
  lines: z.array(z.object({ at: z.string(), replicaId: z.string(), stream: z.enum(['stdout', 'stderr']), line: z.string() })),
  /** True when older lines were left out to keep the reply small: ask again with a later since. */
  truncated: z.boolean(),
});

const execInReplicaRequest = z.object({
  replicaId: z.string().min(1, 'replicaId is required'),
  /** Run under /bin/sh -c inside the replica. */
  cmd: z.string().min(1, 'cmd is required'),
  timeoutMs: z.number().int().min(1).max(600_000),
});
const execInReplicaReply = z.object({
  /** The command's exit code; -1 when it did not finish within timeoutMs (it is then left to the engine). */
  exitCode: z.number().int(),
  /** stdout and stderr, at most the last 4 KiB. */
  output: z.string(),
  timedOut: z.boolean(),
});

export type ExecInReplicaCall = z.output<typeof execInReplicaRequest>;
export type ExecInReplicaAnswer = z.output<typeof execInReplicaReply>;

const oneOffRunRequest = z.object({
  service: z.string().min(1, 'service is required'),
  instance: z.string().min(1, 'instance is required'),
  image: z.string().min(1, 'image is required'),
  gitSha: z.string(),
  /** Runs under /bin/sh -c; empty: the image's CMD (or `args`). */
  cmd: z.string(),
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  cpus: z.number().positive(),
  memMb: z.number().positive(),
  /** Who asked (a token name), kept as a label. */
  by: z.string(),
});
const oneOffRunReply = z.object({ runId: z.string(), name: z.string() });
const oneOffOutputRequest = z.object({
  runId: z.string().min(1, 'runId is required'),
  /** Lines already received: the reply starts after them. */
  after: z.number().int().min(0),
  /** Kill the run now (the caller left, or its time is up); the reply then ends it. */
  kill: z.boolean(),
});
const oneOffOutputReply = z.object({
  lines: z.array(z.object({ at: z.string(), stream: z.enum(['stdout', 'stderr']), line: z.string() })),
  /** True once the container exited and every line was given: it is removed. */
  ended: z.boolean(),
  exitCode: z.number().int(),
  oomKilled: z.boolean(),
});

export type OneOffRunCall = z.output<typeof oneOffRunRequest>;
export type OneOffRunAnswer = z.output<typeof oneOffRunReply>;
export type OneOffOutputCall = z.output<typeof oneOffOutputRequest>;
export type OneOffOutputAnswer = z.output<typeof oneOffOutputReply>;
export type RestartReplicaCall = z.output<typeof restartReplicaRequest>;
export type RestartReplicaAnswer = z.output<typeof restartReplicaReply>;
export type ReplicaLogsCall = z.output<typeof replicaLogsRequest>;
export type ReplicaLogsAnswer = z.output<typeof replicaLogsReply>;
export type CancelBuildCall = z.output<typeof cancelBuildRequest>;
export type CancelBuildAnswer = z.output<typeof cancelBuildReply>;
const secretRef = z.object({ service: z.string().min(1), name: z.string().min(1) });
const secretValuesRequest = z.object({
  /** The instance that will receive them: it may read its service's secrets and the shared ones. */
  service: z.string().min(1, 'service is required'),
  instance: z.string(),
  cluster: z.string(),
  refs: z.array(secretRef).min(1, 'refs is required'),
});
const secretValuesReply = z.object({ values: z.array(secretRef.extend({ value: z.string() })) });

export type SecretValuesCall = z.output<typeof secretValuesRequest>;
export type SecretValuesAnswer = z.output<typeof secretValuesReply>;
export type ProxyDrainedCall = z.output<typeof proxyDrainedRequest>;
export type ProxyDrainedAnswer = z.output<typeof proxyDrainedReply>;
export type ImageExistsCall = z.output<typeof imageExistsRequest>;
export type ImageExistsAnswer = z.output<typeof imageExistsReply>;

/**
 * Every request/reply of the platform. Subjects are versioned like events
 * (orzo.rpc.<service>.<what>.v1); adding an optional field is compatible, anything else is v2.
 */
export const Rpcs = {
  /**
   * Cancel a build the builder queues or runs. State 'unknown': this builder does not know
   * the build. No queue group: today one builder runs.
   */
  cancelBuild: defineRpc({
    name: 'builder.cancel',
    servedBy: 'builder',
    subject: 'orzo.rpc.builder.cancel.v1',
    request: cancelBuildRequest,
    reply: cancelBuildReply,
  }),
  /**
   * Does this image exist on the engine of `cluster` (a registry image is pulled now: the
   * deploy that follows needs it anyway)? One of the scheduler-bridges of that cluster answers.
   */
  imageExists: (cluster: string): RpcContract<ImageExistsCall, ImageExistsAnswer> =>
    defineRpc({
      name: `scheduler.${cluster}.image-exists`,
      servedBy: 'scheduler-bridge',
      subject: `orzo.rpc.scheduler.${cluster}.image-exists.v1`,
      queue: 'scheduler-bridge',
      request: imageExistsRequest,
      reply: imageExistsReply,
    }),
  /**
   * Is a replica drained from the HAProxy of `host` (hostToken of its ORZO_HOST_ID): no longer
   * listed in the registry that host follows, its slot in maintenance, no session open to it?
   * The host answers as soon as it is, or with drained: false once `withinMs` passed.
   * scheduler-bridge asks every host of the registry before it stops a drained replica.
   */
  proxyDrained: (host: string): RpcContract<ProxyDrainedCall, ProxyDrainedAnswer> =>
    defineRpc({
      name: `discovery.${hostToken(host)}.proxy-drained`,
      servedBy: 'discovery-publisher',
      subject: `orzo.rpc.discovery.${hostToken(host)}.proxy-drained.v1`,
      queue: 'discovery-publisher',
      request: proxyDrainedRequest,
      reply: proxyDrainedReply,
    }),
  /**
   * The alerts firing now (service '' = all), with where each was delivered. Queue group: any
   * monitor-bridge of a shared database can answer.
   */
  listAlerts: defineRpc({
    name: 'monitor.list-alerts',
    servedBy: 'monitor-bridge',
    subject: 'orzo.rpc.monitor.list-alerts.v1',
    queue: 'monitor-bridge',
    request: listAlertsRequest,
    reply: listAlertsReply,
  }),
  /**
   * Replace one replica of an instance on `cluster`: a replacement is started and, once happy,
   * the replica is drained through discovery and stopped. not-found when no replica matches.
   */
  restartReplica: (cluster: string): RpcContract<RestartReplicaCall, RestartReplicaAnswer> =>
    defineRpc({
      name: `scheduler.${cluster}.restart-replica`,
      servedBy: 'scheduler-bridge',
      subject: `orzo.rpc.scheduler.${cluster}.restart-replica.v1`,
      queue: 'scheduler-bridge',
      request: restartReplicaRequest,
      reply: restartReplicaReply,
    }),
  /**
   * The recent output of replicas on `cluster`, read from the engine. Following is asking
   * again with a later `since` (a pull: the caller takes the next page only when it wrote the
   * last, so a slow reader never floods anyone); replicas started since show up in the next page.
   */
  replicaLogs: (cluster: string): RpcContract<ReplicaLogsCall, ReplicaLogsAnswer> =>
    defineRpc({
      name: `scheduler.${cluster}.replica-logs`,
      servedBy: 'scheduler-bridge',
      subject: `orzo.rpc.scheduler.${cluster}.replica-logs.v1`,
      queue: 'scheduler-bridge',
      request: replicaLogsRequest,
      reply: replicaLogsReply,
    }),
  /**
   * Runs a command inside a running replica on `cluster` (healthcheck_cmd: monitor-bridge does
   * not own the engine). not-found when the engine has no such running replica.
   */
  execInReplica: (cluster: string): RpcContract<ExecInReplicaCall, ExecInReplicaAnswer> =>
    defineRpc({
      name: `scheduler.${cluster}.exec`,
      servedBy: 'scheduler-bridge',
      subject: `orzo.rpc.scheduler.${cluster}.exec.v1`,
      queue: 'scheduler-bridge',
      request: execInReplicaRequest,
      reply: execInReplicaReply,
    }),
  /**
   * Start a one-off container (orzo remote-run) on `cluster`: not a replica (the reconciler
   * never sees it), removed once its output was read to the end (oneOffOutput).
   */
  oneOffRun: (cluster: string): RpcContract<OneOffRunCall, OneOffRunAnswer> =>
    defineRpc({
      name: `scheduler.${cluster}.one-off-run`,
      servedBy: 'scheduler-bridge',
      subject: `orzo.rpc.scheduler.${cluster}.one-off-run.v1`,
      queue: 'scheduler-bridge',
      request: oneOffRunRequest,
      reply: oneOffRunReply,
    }),
  /**
   * The output of a one-off run after the lines already read (a pull, like replicaLogs); the
   * reply that says `ended` carries the exit code, and the container is removed then.
   * not-found when no such run exists (any more).
   */
  oneOffOutput: (cluster: string): RpcContract<OneOffOutputCall, OneOffOutputAnswer> =>
    defineRpc({
      name: `scheduler.${cluster}.one-off-output`,
      servedBy: 'scheduler-bridge',
      subject: `orzo.rpc.scheduler.${cluster}.one-off-output.v1`,
      queue: 'scheduler-bridge',
      request: oneOffOutputRequest,
      reply: oneOffOutputReply,
    }),
  /**
   * The plaintext of secrets an instance's env references (SECRET(name), SHARED_SECRET(name)),
   * asked by scheduler-bridge just before it starts a replica: values travel only in this
   * reply, never in an event or a stream. not-found names every secret the store lacks;
   * failed-precondition when control-api has no secret key. Queue group: any control-api answers.
   */
  secretValues: defineRpc({
    name: 'control.secret-values',
    servedBy: 'control-api',
    subject: 'orzo.rpc.control.secret-values.v1',
    queue: 'control-api',
    request: secretValuesRequest,
    reply: secretValuesReply,
  }),
} as const;
