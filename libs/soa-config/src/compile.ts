import * as crypto from 'node:crypto';
import { LoadedFile, LoadedService } from './load';
import { parseDuration } from './parse';
import { isMapping } from './schema/validate';
import { SystemConfig } from './system-config';
import { instanceNames } from './tree';
import { deployGroupOf, registrationsOf } from './validate-tree';

export interface CompiledRegistration {
  /** service.namespace */
  name: string;
  service: string;
  namespace: string;
  /** null: discovery only, no local frontend. */
  proxyPort: number | null;
  mode: string;
  healthcheckUri: string;
  timeoutConnectMs: number;
  timeoutServerMs: number;
  retries: number;
  /** lb_policy, when set (absent: ROUND_ROBIN, and the config hash of trees without it unchanged). */
  lbPolicy?: string;
  timeoutClientMs?: number;
  /** endpoint_timeouts, when set: path (prefix, or regex from ^) -> server timeout in ms. */
  endpointTimeouts?: Array<{ path: string; timeoutMs: number }>;
}

export interface CompiledMonitoring {
  team?: string;
  page: boolean;
  ticket: boolean;
  runbook: string;
  tip?: string;
  notificationEmail?: string | false;
  slackChannels: string[];
  ircChannels: string[];
  project?: string;
  priority?: string;
  tags: string[];
  component?: string;
  description?: string;
  alertAfterSeconds: number;
  /** In check runs (pysensu-yelp's meaning): -1 = exponential backoff, 0 = never; 0 when given as a duration. */
  realertEvery: number;
  /** Set when realert_every was written as a duration ("30m"): seconds between repeats. */
  realertEverySeconds?: number;
  checkEverySeconds: number;
  checkOomEvents: boolean;
}

export interface CompiledHealthcheck {
  mode: 'http' | 'https' | 'tcp' | 'cmd' | 'none';
  uri: string;
  cmd?: string;
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  /** extra_healthcheck_headers of the mesh namespace, when set. */
  headers?: Record<string, string>;
  /** healthcheck_port of the mesh namespace, when set and not the service port: the container port checked. */
  port?: number;
}

export interface CompiledBounce {
  method: 'crossover' | 'brutal' | 'downthenup' | 'upthendown';
  marginFactor: number;
  overprovisionFactor: number;
  drainMethod: string;
  drainDelaySeconds: number;
  terminationGracePeriodSeconds: number;
  minTaskUptimeSeconds: number;
  /** bounce_health_params.check_haproxy: false (set only then, so trees without it keep their config hash). */
  skipHaproxyCheck?: true;
  /** lifecycle.pre_stop_command as argv (a string runs under /bin/sh -c), when set. */
  preStopCommand?: string[];
  /** lifecycle.pre_stop_drain_seconds, when set. */
  preStopDrainSeconds?: number;
  /** drain_method http: drain_method_params.drain and .is_safe_to_kill, when set. */
  httpDrain?: { drain?: CompiledDrainRequest; isSafeToKill?: CompiledDrainRequest };
}

export interface CompiledDrainRequest {
  urlFormat: string;
  method: string;
  successCodes: string;
}

function drainRequest(v: unknown): CompiledDrainRequest | undefined {
  if (!isMapping(v) || typeof v.url_format !== 'string') return undefined;
  return { urlFormat: v.url_format, method: text(v.method) ?? 'GET', successCodes: v.success_codes === undefined ? '200-299' : String(v.success_codes) };
}

/** One (service, cluster, instance), fully resolved: what a scheduler needs to run it. */
export interface CompiledInstance {
  service: string;
  cluster: string;
  instance: string;
  file: string;
  deployGroup: string;
  replicas: { instances: number; min: number; max: number; autoscaled: boolean };
  cpus: number;
  cpuBurstAdd: number;
  memMb: number;
  diskMb: number;
  /** A string runs under /bin/sh -c; a list is exec'd. */
  cmd?: string | string[];
  args: string[];
  env: Record<string, string>;
  containerPort: number;
  healthcheck: CompiledHealthcheck;
  bounce: CompiledBounce;
  registrations: CompiledRegistration[];
  weight: number;
  monitoring: CompiledMonitoring;
  /** Percent of replicas UP below which the replication check is CRITICAL. */
  replicationThreshold: number;
  pool: string;
  /** First delay before a crashed replica starts again (doubling per crash in a row, at most 300 s). */
  backoffSeconds: number;
  /** "config" + 8 hex: changes exactly when a bounce is needed (not for replica counts). */
  configHash: string;
}

export interface CompiledAction {
  name: string;
  command: string;
  executor: string;
  requires: string[];
  cpus: number;
  memMb: number;
  /** The action's own `env`, plus PAASTA_/ORZO_ INSTANCE (`<job>.<action>`) and RESOURCE_CPUS/MEM; wins over the job's env. */
  env: Record<string, string>;
  /** Extra attempts after a failure (Tron `retries`; Chronos `retries`). */
  retries: number;
  retriesDelaySeconds: number;
  /** The action's `max_runtime`, else the job's; 0: no limit. */
  maxRuntimeSeconds: number;
  /** The action's `expected_runtime`, else the job's; 0: no expectation. */
  expectedRuntimeSeconds: number;
}

export interface CompiledJob {
  service: string;
  cluster: string;
  job: string;
  file: string;
  flavor: 'tron' | 'chronos';
  deployGroup: string;
  schedule: string;
  /** IANA zone of cron and daily schedules (Tron `time_zone`, Chronos `schedule_time_zone`); '': UTC. */
  timeZone: string;
  enabled: boolean;
  actions: CompiledAction[];
  monitoring: CompiledMonitoring;
  allowOverlap: boolean;
  queueing: boolean;
  /** Runs kept in history (Tron `run_limit`, default 50). */
  runLimit: number;
  /** monitoring.check_that_every_day_has_a_successful_run. */
  checkEveryDay: boolean;
  /** PAASTA_/ORZO_ SERVICE, INSTANCE (the job), CLUSTER, DEPLOY_GROUP, MONITORING_TEAM: as service instances get them. */
  env: Record<string, string>;
}

/** Runs of a job kept in history when its file says no `run_limit` (Tron's default). */
export const DEFAULT_RUN_LIMIT = 50;

/** Orders env names as the config hash has always seen them: by UTF-16 code units. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The injected part of an env: PAASTA_<k> and ORZO_<k> of each key, then an extra name, sorted once; `from`: the index of each one's value. */
interface EnvLayout {
  names: string[];
  from: number[];
}

function envLayout(keys: readonly string[], extra?: string): EnvLayout {
  const pushed = keys.flatMap((k, i) => [
    { name: `PAASTA_${k}`, from: i },
    { name: `ORZO_${k}`, from: i },
  ]);
  if (extra !== undefined) pushed.push({ name: extra, from: keys.length });
  pushed.sort((a, b) => byName(a.name, b.name)); // stable: ties keep their order
  return { names: pushed.map((p) => p.name), from: pushed.map((p) => p.from) };
}

const INSTANCE_KEYS = ['SERVICE', 'INSTANCE', 'CLUSTER', 'DEPLOY_GROUP', 'PORT', 'RESOURCE_CPUS', 'RESOURCE_MEM', 'RESOURCE_DISK'];
const INSTANCE_ENV = envLayout(INSTANCE_KEYS, 'MESH_REGISTRATIONS');
const INSTANCE_ENV_TEAM = envLayout([...INSTANCE_KEYS, 'MONITORING_TEAM'], 'MESH_REGISTRATIONS');
const ACTION_ENV = envLayout(['INSTANCE', 'RESOURCE_CPUS', 'RESOURCE_MEM']);
const JOB_KEYS = ['SERVICE', 'INSTANCE', 'CLUSTER', 'DEPLOY_GROUP'];
const JOB_ENV = envLayout(JOB_KEYS);
const JOB_ENV_TEAM = envLayout([...JOB_KEYS, 'MONITORING_TEAM']);

/**
 * A container's env: the string values of `own`, PAASTA_<k> and ORZO_<k> of each injected key
 * (`values` in the layout's key order, then the extra's), then the extra name, sorted by name;
 * of two entries with one name the later one wins. What `Object.fromEntries` of those pairs
 * stably sorted gives (the config hash depends on it), built by merging the few own names
 * into the injected ones, whose order is computed once.
 */
function containerEnv(own: unknown, layout: EnvLayout, values: readonly string[]): Record<string, string> {
  const mine: Array<[string, string]> = [];
  if (isMapping(own)) for (const k in own) if (Object.hasOwn(own, k) && typeof own[k] === 'string') mine.push([k, own[k]]);
  if (mine.length > 1) mine.sort((a, b) => byName(a[0], b[0]));
  const { names, from } = layout;
  const pairs: Array<[string, string]> = [];
  let i = 0;
  for (let j = 0; j < names.length; j++) {
    for (; i < mine.length && byName(mine[i]![0], names[j]!) <= 0; i++) pairs.push(mine[i]!); // pushed first: loses a tie
    pairs.push([names[j]!, values[from[j]!]!]);
  }
  for (; i < mine.length; i++) pairs.push(mine[i]!);
  // Of a name given twice, fromEntries keeps the first place and the later value. It also
  // builds an object with fast properties, which JSON.stringify (the config hash) reads several
  // times faster than the dictionary that assigning 20-odd computed names one by one can give.
  return Object.fromEntries(pairs);
}

const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
const stringMap = (v: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Monitoring: instance `monitoring:` > monitoring.yaml > service.yaml `monitoring:` > defaults. */
export function compileMonitoring(svc: LoadedService, instanceMonitoring: unknown, defaultAlertAfter = '5m'): CompiledMonitoring {
  const base = serviceMonitoring(svc);
  const own = isMapping(instanceMonitoring) ? instanceMonitoring : undefined;
  const pick = (key: string): unknown => (own && own[key] !== undefined ? own[key] : base[key]);
  const realert = pick('realert_every');
  const notification = pick('notification_email');
  return {
    team: text(pick('team')),
    page: bool(pick('page'), false),
    ticket: bool(pick('ticket'), false),
    runbook: text(pick('runbook')) ?? 'http://y/paasta-troubleshooting',
    tip: text(pick('tip')),
    notificationEmail: typeof notification === 'string' ? notification : notification === false ? false : undefined,
    slackChannels: strings(pick('slack_channels')),
    ircChannels: strings(pick('irc_channels')),
    project: text(pick('project')),
    priority: text(pick('priority')),
    tags: strings(pick('tags')),
    component: text(pick('component')),
    description: text(pick('description')),
    alertAfterSeconds: parseDuration(pick('alert_after') ?? defaultAlertAfter) ?? 300,
    realertEvery: typeof realert === 'number' ? realert : realert === undefined ? -1 : 0,
    ...(typeof realert === 'string' ? { realertEverySeconds: parseDuration(realert) ?? 1800 } : {}),
    checkEverySeconds: parseDuration(pick('check_every') ?? '1m') ?? 60,
    checkOomEvents: bool(pick('check_oom_events'), true),
  };
}

const SERVICE_MONITORING = new WeakMap<LoadedService, Record<string, unknown>>();

/** monitoring.yaml over service.yaml `monitoring:`, merged once per service. */
export function serviceMonitoring(svc: LoadedService): Record<string, unknown> {
  let merged = SERVICE_MONITORING.get(svc);
  if (!merged) {
    const fromService = isMapping(svc.service?.src.data) && isMapping(svc.service!.src.data.monitoring) ? svc.service!.src.data.monitoring : {};
    const fromFile = isMapping(svc.monitoring?.src.data) ? svc.monitoring!.src.data : {};
    SERVICE_MONITORING.set(svc, (merged = { ...fromService, ...fromFile }));
  }
  return merged;
}

const NAMESPACES = new WeakMap<ReadonlyMap<string, LoadedService>, Map<string, Record<string, unknown> | undefined>>();

/** The smartstack.yaml namespace a registration (service.namespace) names, looked up once per tree. */
function smartstackNamespace(all: ReadonlyMap<string, LoadedService>, reg: string): Record<string, unknown> | undefined {
  let known = NAMESPACES.get(all);
  if (!known) NAMESPACES.set(all, (known = new Map()));
  if (known.has(reg)) return known.get(reg);
  const ns = findNamespace(all, reg);
  known.set(reg, ns);
  return ns;
}

function findNamespace(all: ReadonlyMap<string, LoadedService>, reg: string): Record<string, unknown> | undefined {
  const [service, namespace] = reg.split('.');
  const data = all.get(service!)?.smartstack?.src.data;
  if (!isMapping(data)) return undefined;
  const ns = data[namespace!];
  return isMapping(ns) ? ns : undefined;
}

/** Compiles every long-running instance of a service (on files without problems). */
export function compileInstances(svc: LoadedService, all: ReadonlyMap<string, LoadedService>, system: SystemConfig): CompiledInstance[] {
  const out: CompiledInstance[] = [];
  for (const f of svc.longRunning) {
    if (f.src.problems.length || !isMapping(f.src.data)) continue;
    for (const name of instanceNames(f.src.data)) {
      const raw = f.src.data[name];
      if (isMapping(raw)) out.push(compileInstance(svc, f, name, raw, all, system));
    }
  }
  return out;
}

/**
 * Compiles every instance of adhoc-<cluster>.yaml (one-off runs: `orzo remote-run`,
 * `orzo local-run`) like a long-running one: same env, resources and command rules; keys
 * adhoc files do not have (instances, health checks, bounce) keep their defaults.
 */
export function compileAdhoc(svc: LoadedService, all: ReadonlyMap<string, LoadedService>, system: SystemConfig): CompiledInstance[] {
  const out: CompiledInstance[] = [];
  for (const f of svc.adhoc) {
    if (f.src.problems.length || !isMapping(f.src.data)) continue;
    for (const name of instanceNames(f.src.data)) {
      const raw = f.src.data[name];
      if (isMapping(raw)) out.push(compileInstance(svc, f, name, raw, all, system));
    }
  }
  return out;
}

/** The env a container gets from the version it runs, beside the compiled instance env. */
export function versionEnv(image: string, gitSha: string): Record<string, string> {
  return { ORZO_DOCKER_IMAGE: image, PAASTA_DOCKER_IMAGE: image, ORZO_GIT_SHA: gitSha, PAASTA_GIT_SHA: gitSha };
}

export function compileInstance(
  svc: LoadedService,
  f: LoadedFile,
  instance: string,
  own: Record<string, unknown>,
  all: ReadonlyMap<string, LoadedService>,
  system: SystemConfig,
): CompiledInstance {
  const cluster = f.cluster!;
  // Instance (with the templates YAML merged into it) > system defaults > built-in defaults.
  // Only read, so without defaults the instance's own mapping serves as is.
  const raw: Record<string, unknown> = hasKeys(system.defaults) ? { ...system.defaults, ...own } : own;
  const regs = registrationsOf(svc.name, instance, raw);
  const registrations: CompiledRegistration[] = [];
  let mesh: Record<string, unknown> | undefined;
  for (const name of regs.names) {
    const ns = smartstackNamespace(all, name);
    if (!ns) continue; // a default registration without a namespace: not in the mesh
    mesh ??= ns;
    const [service, namespace] = name.split('.') as [string, string];
    // Optional keys are added after the others, in the order the JSON (and the config hash) has them.
    const registration: CompiledRegistration = {
      name,
      service,
      namespace,
      proxyPort: typeof ns.proxy_port === 'number' ? ns.proxy_port : null,
      mode: text(ns.mode) ?? 'http',
      healthcheckUri: text(ns.healthcheck_uri) ?? '/status',
      timeoutConnectMs: num(ns.timeout_connect_ms, 200),
      timeoutServerMs: num(ns.timeout_server_ms, 1000),
      retries: num(ns.retries, 1),
    };
    if (text(ns.lb_policy)) registration.lbPolicy = text(ns.lb_policy);
    if (typeof ns.timeout_client_ms === 'number') registration.timeoutClientMs = ns.timeout_client_ms;
    if (isMapping(ns.endpoint_timeouts))
      registration.endpointTimeouts = Object.entries(ns.endpoint_timeouts)
        .filter((e): e is [string, number] => typeof e[1] === 'number')
        .map(([path, timeoutMs]) => ({ path, timeoutMs }));
    registrations.push(registration);
  }
  const inMesh = registrations.length > 0;
  const meshMode = text(mesh?.healthcheck_mode) ?? text(mesh?.mode);
  const mode = (text(raw.healthcheck_mode) ??
    (inMesh ? (meshMode === 'tcp' ? 'tcp' : meshMode === 'https' ? 'https' : 'http') : 'none')) as CompiledHealthcheck['mode'];
  const lifecycle = isMapping(raw.lifecycle) ? raw.lifecycle : {};
  const drainParams = isMapping(raw.drain_method_params) ? raw.drain_method_params : {};
  const healthParams = isMapping(raw.bounce_health_params) ? raw.bounce_health_params : {};
  const max = typeof raw.max_instances === 'number' ? raw.max_instances : undefined;
  const min = num(raw.min_instances, 1);
  const instances = max !== undefined ? Math.min(Math.max(num(raw.instances, min), min), max) : num(raw.instances, 1);
  const deployGroup = deployGroupOf(svc.name, cluster, instance, raw);
  const monitoring = compileMonitoring(svc, raw.monitoring, '10m');
  const cpus = num(raw.cpus, 1);
  const memMb = num(raw.mem, 4096);
  const diskMb = num(raw.disk, 1024);
  const containerPort = num(raw.container_port, 8888);
  // Sorted, so the order keys were written in never changes the config hash.
  const env = containerEnv(raw.env, monitoring.team ? INSTANCE_ENV_TEAM : INSTANCE_ENV, [
    svc.name,
    instance,
    cluster,
    deployGroup,
    String(containerPort),
    String(cpus),
    String(memMb),
    String(diskMb),
    ...(monitoring.team ? [monitoring.team] : []),
    registrations.map((r) => r.name).join(','),
  ]);

  // Optional keys are added after the others, in the order the JSON (and the config hash) has them.
  const healthcheck: CompiledHealthcheck = {
    mode,
    uri: text(raw.healthcheck_uri) ?? text(mesh?.healthcheck_uri) ?? '/status',
    cmd: text(raw.healthcheck_cmd),
    gracePeriodSeconds: num(raw.healthcheck_grace_period_seconds, 60),
    intervalSeconds: num(raw.healthcheck_interval_seconds, 10),
    timeoutSeconds: num(raw.healthcheck_timeout_seconds, 10),
    maxConsecutiveFailures: num(raw.healthcheck_max_consecutive_failures, 30),
  };
  if (isMapping(mesh?.extra_healthcheck_headers)) healthcheck.headers = stringMap(mesh.extra_healthcheck_headers);
  if (typeof mesh?.healthcheck_port === 'number' && mesh.healthcheck_port !== containerPort) healthcheck.port = mesh.healthcheck_port;
  const bounce: CompiledBounce = {
    method: (text(raw.bounce_method) ?? 'crossover') as CompiledBounce['method'],
    marginFactor: num(raw.bounce_margin_factor, 0.95),
    overprovisionFactor: num(raw.bounce_overprovision_factor, 1),
    drainMethod: text(raw.drain_method) ?? (inMesh ? 'hacheck' : 'noop'),
    drainDelaySeconds: num(drainParams.delay, inMesh ? 60 : 0),
    terminationGracePeriodSeconds: num(lifecycle.termination_grace_period_seconds, 30),
    minTaskUptimeSeconds: num(healthParams.min_task_uptime, 0),
  };
  if (healthParams.check_haproxy === false) bounce.skipHaproxyCheck = true;
  if (typeof lifecycle.pre_stop_command === 'string') bounce.preStopCommand = ['/bin/sh', '-c', lifecycle.pre_stop_command];
  else if (Array.isArray(lifecycle.pre_stop_command)) bounce.preStopCommand = strings(lifecycle.pre_stop_command);
  if (typeof lifecycle.pre_stop_drain_seconds === 'number') bounce.preStopDrainSeconds = lifecycle.pre_stop_drain_seconds;
  if (text(raw.drain_method) === 'http') bounce.httpDrain = { drain: drainRequest(drainParams.drain), isSafeToKill: drainRequest(drainParams.is_safe_to_kill) };

  // Built in the order of CompiledInstance (the order its JSON has always had), the fields of
  // the config hash first as their own object, so the hash needs no copy of the spec.
  const hashed: ConfigHashed = {
    service: svc.name,
    cluster,
    instance,
    deployGroup,
    cpus,
    cpuBurstAdd: num(raw.cpu_burst_add, 1),
    memMb,
    diskMb,
    cmd: typeof raw.cmd === 'string' ? raw.cmd : Array.isArray(raw.cmd) ? strings(raw.cmd) : undefined,
    args: strings(raw.args),
    env,
    containerPort,
    healthcheck,
    bounce,
    registrations,
    weight: num(raw.weight, 10),
    pool: text(raw.pool) ?? 'default',
  };
  return {
    service: hashed.service,
    cluster,
    instance,
    file: f.path,
    deployGroup,
    replicas: { instances, min, max: max ?? instances, autoscaled: max !== undefined },
    cpus,
    cpuBurstAdd: hashed.cpuBurstAdd,
    memMb,
    diskMb,
    cmd: hashed.cmd,
    args: hashed.args,
    env,
    containerPort,
    healthcheck,
    bounce,
    registrations,
    weight: hashed.weight,
    monitoring,
    replicationThreshold: num(raw.replication_threshold, 50),
    pool: hashed.pool,
    backoffSeconds: num(raw.backoff_seconds, 10),
    configHash: hashOfJson(JSON.stringify(hashed)),
  };
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** What the config hash leaves out: see configHash. */
type NotHashed = 'replicas' | 'file' | 'monitoring' | 'replicationThreshold' | 'backoffSeconds';
/** The fields of a compiled instance that need a bounce when they change, in the order of CompiledInstance. */
type ConfigHashed = Omit<CompiledInstance, 'configHash' | NotHashed>;

/**
 * "config" + 8 hex of sha256 over the JSON of everything that needs a bounce: replica counts,
 * the source file, the alerting config (monitoring, replication threshold: monitor-bridge
 * reads them, the containers do not; the team still bounces through its env variable) and the
 * crash restart backoff (PaaSTA: backoff_seconds never bounces) are left out, so scaling,
 * re-routing alerts or tuning the backoff never bounces. The spec is built in a fixed key order
 * (env sorted), so its JSON is canonical without a sorting pass. (compileInstance hashes the
 * same JSON, built without copying the spec.)
 */
export function configHash(spec: Omit<CompiledInstance, 'configHash'>, forceBounce = ''): string {
  const { replicas: _r, file: _f, monitoring: _m, replicationThreshold: _t, backoffSeconds: _b, ...bounceRelevant } = spec;
  return hashOfJson(JSON.stringify(bounceRelevant) + forceBounce);
}

// crypto.hash (one call, no Hash object) is in node >= 20.12; package.json allows 20.11.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

function hashOfJson(json: string): string {
  const hex = oneShot ? oneShot('sha256', json, 'hex') : crypto.createHash('sha256').update(json).digest('hex');
  return `config${hex.slice(0, 8)}`;
}

/** Compiles the jobs of tron- and chronos-<cluster>.yaml to a schedule plus actions. */
export function compileJobs(svc: LoadedService, system: SystemConfig): CompiledJob[] {
  const out: CompiledJob[] = [];
  const seconds = (v: unknown, d: number): number => parseDuration(v, true) ?? d;
  for (const f of svc.jobs) {
    if (f.src.problems.length || !isMapping(f.src.data)) continue;
    for (const job of instanceNames(f.src.data)) {
      const own = f.src.data[job];
      if (!isMapping(own)) continue;
      const raw = { ...own };
      const chronos = f.flavor === 'chronos';
      const base = {
        cpus: num(raw.cpus ?? system.defaults.cpus, 1),
        memMb: num(raw.mem ?? system.defaults.mem, 4096),
        maxRuntime: seconds(raw.max_runtime, 0),
        expectedRuntime: seconds(raw.expected_runtime, 0),
      };
      const actionOf = (name: string, a: Record<string, unknown>): CompiledAction => {
        const cpus = num(a.cpus, base.cpus);
        const memMb = num(a.mem, base.memMb);
        return {
          name,
          command: text(a.command) ?? text(a.cmd) ?? '',
          executor: text(a.executor) ?? 'paasta',
          requires: strings(a.requires),
          cpus,
          memMb,
          env: containerEnv(a.env, ACTION_ENV, [chronos ? job : `${job}.${name}`, String(cpus), String(memMb)]),
          retries: Math.max(0, Math.floor(num(a.retries, 0))),
          retriesDelaySeconds: seconds(a.retries_delay, 0),
          maxRuntimeSeconds: seconds(a.max_runtime, base.maxRuntime),
          expectedRuntimeSeconds: seconds(a.expected_runtime, base.expectedRuntime),
        };
      };
      let actions: CompiledAction[];
      if (chronos) actions = [actionOf(job, { ...raw, command: raw.cmd })];
      else if (Array.isArray(raw.actions)) actions = raw.actions.filter(isMapping).map((a, i) => actionOf(text(a.name) ?? `action${i + 1}`, a));
      else
        actions = isMapping(raw.actions)
          ? Object.entries(raw.actions)
              .filter(([, a]) => isMapping(a))
              .map(([n, a]) => actionOf(n, a as Record<string, unknown>))
          : [];
      const schedule = isMapping(raw.schedule)
        ? `${text(raw.schedule.type) ?? ''} ${text(raw.schedule.value) ?? ''}`.trim()
        : (text(raw.schedule) ?? (Array.isArray(raw.parents) ? `after ${strings(raw.parents).join(',')}` : ''));
      const deployGroup = deployGroupOf(svc.name, f.cluster!, job, raw);
      const monitoring = compileMonitoring(svc, raw.monitoring);
      const ownMonitoring = isMapping(raw.monitoring) ? raw.monitoring : {};
      out.push({
        service: svc.name,
        cluster: f.cluster!,
        job,
        file: f.path,
        flavor: chronos ? 'chronos' : 'tron',
        deployGroup,
        schedule,
        timeZone: text(chronos ? raw.schedule_time_zone : raw.time_zone) ?? '',
        enabled: chronos ? !bool(raw.disabled, false) : bool(raw.enabled, true),
        actions,
        monitoring,
        allowOverlap: bool(raw.allow_overlap, false),
        queueing: bool(raw.queueing, true),
        runLimit: Math.max(1, Math.floor(num(raw.run_limit, DEFAULT_RUN_LIMIT))),
        checkEveryDay: bool(ownMonitoring.check_that_every_day_has_a_successful_run, false),
        env: containerEnv(undefined, monitoring.team ? JOB_ENV_TEAM : JOB_ENV, [
          svc.name,
          job,
          f.cluster!,
          deployGroup,
          ...(monitoring.team ? [monitoring.team] : []),
        ]),
      });
    }
  }
  return out;
}
