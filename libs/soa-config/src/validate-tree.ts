import { LoadedFile, LoadedService } from './load';
import { nameProblem } from './names';
import { chronosScheduleProblem, tronScheduleProblem } from './schedule';
import { ConfigProblem } from './problems';
import {
  ADHOC_KEYS,
  CHRONOS_JOB_KEYS,
  DEPLOY_KEYS,
  LONG_RUNNING_KEYS,
  LOCATION_TYPES,
  MONITORING_KEYS,
  PAASTA_PROXY_PORTS,
  ROLLBACK_KEYS,
  SERVICE_KEYS,
  SMARTSTACK_KEYS,
  TRON_ACTION_KEYS,
  TRON_JOB_KEYS,
} from './schema/tables';
import { KeyTable } from './schema/key';
import { ValidationContext, describeValue, isMapping, problemAt, validateMapping } from './schema/validate';
import { KeyPath } from './yaml-source';
import { basename } from 'node:path';
import { SystemConfig } from './system-config';
import { instanceNames } from './tree';

/** Build steps a deploy.yaml pipeline may hold besides deploy groups. */
export const BUILD_STEPS = ['itest', 'security-check', 'push-to-registry', 'performance-check', 'command'];

/** The deploy groups named in a deploy.yaml pipeline (parallel blocks included), in order. */
export function pipelineSteps(data: unknown): Array<{ step: string; path: Array<string | number> }> {
  const out: Array<{ step: string; path: Array<string | number> }> = [];
  const walk = (steps: unknown, path: Array<string | number>) => {
    if (!Array.isArray(steps)) return;
    steps.forEach((s, i) => {
      if (!isMapping(s)) return;
      if (typeof s.step === 'string') out.push({ step: s.step, path: [...path, i, 'step'] });
      if (Array.isArray(s.parallel)) walk(s.parallel, [...path, i, 'parallel']);
    });
  };
  if (isMapping(data)) walk(data.pipeline, ['pipeline']);
  return out;
}

/** The deploy group of an instance: its deploy_group with {cluster}, {instance}, {service}, else <cluster>.<instance>. */
export function deployGroupOf(service: string, cluster: string, instance: string, raw: Record<string, unknown>): string {
  const dg = typeof raw.deploy_group === 'string' ? raw.deploy_group : '{cluster}.{instance}';
  if (!dg.includes('{')) return dg;
  return dg
    .replace(/\{cluster\}/g, cluster)
    .replace(/\{instance\}/g, instance)
    .replace(/\{service\}/g, service);
}

/** The registrations of an instance: registrations, else [<service>.<nerve_ns>], else [<service>.<instance>]. */
export function registrationsOf(service: string, instance: string, raw: Record<string, unknown>): { names: string[]; explicit: boolean } {
  if (Array.isArray(raw.registrations)) return { names: raw.registrations.filter((r): r is string => typeof r === 'string'), explicit: true };
  if (typeof raw.nerve_ns === 'string') return { names: [`${service}.${raw.nerve_ns}`], explicit: true };
  return { names: [`${service}.${instance}`], explicit: false };
}

/**
 * Validates services: every file against its schema, then the rules that span files and
 * services (PaaSTA's `paasta validate` checks, and Orzo's own). `all` is the whole tree, for
 * registrations, proxied_through and proxy_port uniqueness; problems are reported only for
 * `services`.
 */
export function validateServices(services: readonly LoadedService[], all: readonly LoadedService[], system: SystemConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const tree = indexTree(all);
  for (const svc of services) validateService(svc, tree, system, problems);
  return problems;
}

/** What the rules that span services look up in the whole tree, indexed once. */
export interface TreeIndex {
  byName: ReadonlyMap<string, LoadedService>;
  portOwners: Map<number, Array<{ service: string; namespace: string }>>;
}

/** Indexes a tree (only names and smartstack.yaml are read: `loadServiceMesh` is enough). */
export function indexTree(all: readonly LoadedService[]): TreeIndex {
  return { byName: new Map(all.map((s) => [s.name, s])), portOwners: proxyPortOwners(all) };
}

/** Validates one service (see validateServices), adding its problems to `problems`. */
export function validateService(svc: LoadedService, tree: TreeIndex, system: SystemConfig, problems: ConfigProblem[]): void {
  const { byName, portOwners } = tree;
  const ctxOf = (f: LoadedFile): ValidationContext => ({ src: f.src, problems });
  const files = [svc.service, svc.deploy, svc.smartstack, svc.monitoring, ...svc.longRunning, ...svc.jobs, ...svc.adhoc, ...svc.rollback].filter(
    (f): f is LoadedFile => !!f,
  );
  for (const f of files) problems.push(...f.src.problems);
  const usable = (f: LoadedFile | undefined): f is LoadedFile => !!f && f.src.problems.length === 0;
  const whole = (message: string, severity: ConfigProblem['severity'], extra: Partial<ConfigProblem> = {}, file = svc.dir) =>
    problems.push({ file, line: 0, column: 0, path: '', message, severity, ...extra });

  const serviceNameProblem = nameProblem(svc.name, 'service');
  if (serviceNameProblem) whole(serviceNameProblem, 'error');

  if (usable(svc.service)) validateServiceFile(ctxOf(svc.service));
  // PaaSTA: every service (a directory with a service.yaml) has a monitoring.yaml.
  if (svc.service && !svc.monitoring)
    whole('no monitoring.yaml: every service with a service.yaml needs one, so alerts reach a team (PaaSTA fails this too)', 'error', {
      hint: 'add monitoring.yaml with team: <your team>',
    });
  if (usable(svc.monitoring)) validateMapping(ctxOf(svc.monitoring), svc.monitoring.src.data ?? {}, MONITORING_FILE_KEYS, [], 'monitoring.yaml', 'warning');
  if (usable(svc.deploy)) validateDeploy(ctxOf(svc.deploy));
  if (usable(svc.smartstack)) validateSmartstack(ctxOf(svc.smartstack), svc.name, portOwners, byName);
  for (const f of svc.rollback.filter(usable)) validateRollback(ctxOf(f));

  const steps = usable(svc.deploy) ? new Set(pipelineSteps(svc.deploy.src.data).map((s) => s.step)) : undefined;
  const noted = new Set<string>();
  const clusterServed = (f: LoadedFile) => {
    if (!f.cluster || system.clusters[f.cluster] || noted.has(f.cluster)) return;
    noted.add(f.cluster);
    const served = Object.keys(system.clusters).join(', ');
    whole(
      `cluster ${f.cluster} is not one this Orzo runs (${served}): its files are validated, not deployed`,
      'info',
      {
        hint: system.clustersConfigured
          ? 'add it under clusters: in orzo.yaml to run it here'
          : 'clusters: in orzo.yaml (or ORZO_CLUSTERS) says which clusters this Orzo runs',
      },
      f.src.file,
    );
  };
  // PaaSTA: an instance name is used once per cluster, across kubernetes, eks (marathon) and adhoc files.
  const namesByCluster = new Map<string, Map<string, LoadedFile>>();
  const uniqueName = (ctx: ValidationContext, f: LoadedFile, name: string) => {
    let seen = namesByCluster.get(f.cluster!);
    if (!seen) namesByCluster.set(f.cluster!, (seen = new Map()));
    const other = seen.get(name);
    if (other !== undefined)
      problemAt(ctx, [name], `instance ${name} is also defined in ${basename(other.src.file)} for cluster ${f.cluster}: instance names are unique per cluster`);
    else seen.set(name, f);
  };

  /** The instances of long-running or adhoc files: unique names per cluster, their keys, then `rules`. */
  const instanceFiles = (
    list: LoadedFile[],
    keys: KeyTable,
    rules: (ctx: ValidationContext, cluster: string, raw: Record<string, unknown>, path: string[], name: string) => void,
  ) => {
    for (const f of list.filter(usable)) {
      clusterServed(f);
      forEachInstance(ctxOf(f), f, 'instance', (raw, path, name) => {
        const ctx = ctxOf(f);
        uniqueName(ctx, f, name);
        validateMapping(ctx, raw, keys, path, `instance ${name}`);
        rules(ctx, f.cluster!, raw, path, name);
      });
    }
  };
  instanceFiles(svc.longRunning, LONG_RUNNING_KEYS, (ctx, cluster, raw, path, name) =>
    validateInstanceRules(ctx, svc, cluster, name, raw, path, steps, byName),
  );
  instanceFiles(svc.adhoc, ADHOC_KEYS, (ctx, _cluster, raw, path) => checkSecrets(ctx, raw.env, [...path, 'env']));
  for (const f of svc.jobs.filter(usable)) {
    clusterServed(f);
    forEachInstance(ctxOf(f), f, 'job', (raw, path, name) => {
      const ctx = ctxOf(f);
      if (f.flavor === 'tron') validateTronJob(ctx, raw, path, name, steps);
      else {
        validateChronosJob(ctx, raw, path, name);
        checkDeployGroup(ctx, svc.name, f.cluster!, name, raw, path, steps);
      }
    });
  }
  if (!hasTeam(svc)) whole('no monitoring team: alerts for this service would be dropped', 'warning', { hint: 'set team: in monitoring.yaml' });
}

/** monitoring.yaml: Orzo requires a team in it (PaaSTA only requires the file). */
const MONITORING_FILE_KEYS: KeyTable = { ...MONITORING_KEYS, team: { ...MONITORING_KEYS.team!, required: true } };

function validateServiceFile(ctx: ValidationContext): void {
  // PaaSTA's service schema leaves service.yaml open: unknown keys are warnings. (It also
  // requires description and external_link, which Orzo does not: see docs, Differences.)
  validateMapping(ctx, ctx.src.data ?? {}, SERVICE_KEYS, [], 'service.yaml', 'warning');
}

function forEachInstance(
  ctx: ValidationContext,
  f: LoadedFile,
  what: 'instance' | 'job',
  fn: (raw: Record<string, unknown>, path: string[], name: string) => void,
): void {
  const data = f.src.data ?? {};
  if (!isMapping(data)) {
    problemAt(ctx, [], `the file must be a mapping of ${what} names`, { found: Array.isArray(data) ? 'a list' : typeof data });
    return;
  }
  for (const name of instanceNames(data)) {
    const np = nameProblem(name, what);
    if (np) problemAt(ctx, [name], np);
    const raw = data[name];
    if (!isMapping(raw)) {
      problemAt(ctx, [name], `${what} ${name} must be a mapping of keys`, { found: raw === null ? 'nothing' : typeof raw });
      continue;
    }
    fn(raw, [name], name);
  }
}

function validateInstanceRules(
  ctx: ValidationContext,
  svc: LoadedService,
  cluster: string,
  name: string,
  raw: Record<string, unknown>,
  path: string[],
  steps: Set<string> | undefined,
  byName: ReadonlyMap<string, LoadedService>,
): void {
  if (raw.cmd !== undefined && raw.args !== undefined)
    problemAt(ctx, [...path, 'args'], 'cmd and args cannot both be set', { hint: 'use cmd alone, or args with the image entrypoint' });
  if (raw.healthcheck_mode === 'cmd' && typeof raw.healthcheck_cmd !== 'string')
    problemAt(ctx, [...path, 'healthcheck_mode'], 'healthcheck_mode cmd needs healthcheck_cmd');
  if (typeof raw.min_instances === 'number' && typeof raw.max_instances === 'number' && raw.min_instances > raw.max_instances) {
    problemAt(ctx, [...path, 'min_instances'], 'min_instances is above max_instances', { found: `${raw.min_instances} > ${raw.max_instances}` });
  }
  if (raw.drain_method === 'http') {
    const params = isMapping(raw.drain_method_params) ? raw.drain_method_params : {};
    const missing = HTTP_DRAIN_PARAMS.filter((k) => !isMapping(params[k]));
    if (missing.length)
      problemAt(ctx, [...path, 'drain_method'], `drain_method http needs drain_method_params ${missing.join(', ')}`, {
        expected: `drain_method_params with ${HTTP_DRAIN_PARAMS.join(', ')} (each a request: {url_format, method, success_codes})`,
      });
  }
  if (raw.service_account_name !== undefined && raw.iam_role !== undefined)
    problemAt(ctx, [...path, 'iam_role'], 'service_account_name and iam_role cannot both be set');
  if (raw.fs_group_change_policy !== undefined && raw.fs_group === undefined)
    problemAt(ctx, [...path, 'fs_group_change_policy'], 'fs_group_change_policy needs fs_group');
  checkAutoscaling(ctx, svc.name, name, raw, path);
  checkSecrets(ctx, raw.env, [...path, 'env']);
  checkDeployGroup(ctx, svc.name, cluster, name, raw, path, steps);
  const regs = registrationsOf(svc.name, name, raw);
  if (!regs.explicit) return;
  regs.names.forEach((reg, i) => {
    const [target, namespace] = reg.split('.');
    const where = Array.isArray(raw.registrations) ? [...path, 'registrations', i] : [...path, 'nerve_ns'];
    const targetSvc = byName.get(target!);
    if (!targetSvc) {
      problemAt(ctx, where, `registration ${reg} names service ${target}, which has no directory in the soa-configs tree`);
      return;
    }
    const ss = targetSvc.smartstack?.src.data;
    if (!isMapping(ss) || !isMapping(ss[namespace!])) {
      const known = isMapping(ss) ? Object.keys(ss).filter((k) => !k.startsWith('_')) : [];
      const s = namespace ? didYouMeanNamespace(namespace, known) : undefined;
      problemAt(ctx, where, `registration ${reg}: namespace ${namespace} is not in ${target}/smartstack.yaml`, {
        expected: known.length ? `one of ${known.map((k) => `${target}.${k}`).join(', ')}` : 'a namespace declared in smartstack.yaml',
        hint: s ? `did you mean ${target}.${s}?` : undefined,
      });
    }
  });
}

function didYouMeanNamespace(ns: string, known: string[]): string | undefined {
  return (
    known.find((k) => k.toLowerCase() === ns.toLowerCase()) ?? known.find((k) => Math.abs(k.length - ns.length) <= 2 && (k.startsWith(ns) || ns.startsWith(k)))
  );
}

function checkDeployGroup(
  ctx: ValidationContext,
  service: string,
  cluster: string,
  name: string,
  raw: Record<string, unknown>,
  path: string[],
  steps: Set<string> | undefined,
): void {
  const dg = deployGroupOf(service, cluster, name, raw);
  if (steps && !steps.has(dg)) {
    problemAt(
      ctx,
      raw.deploy_group !== undefined ? [...path, 'deploy_group'] : path,
      `deploy group ${dg} is not a step of the deploy.yaml pipeline, so it never gets a version`,
      {
        expected: `one of ${[...steps].join(', ') || '(no steps)'}`,
        hint: 'add "- step: ' + dg + '" to deploy.yaml',
      },
    );
  } else if (!steps) {
    problemAt(ctx, path, `no deploy.yaml: deploy group ${dg} can never get a version (PaaSTA fails this too)`, {
      hint: 'add deploy.yaml with a pipeline naming it',
    });
  }
}

const HTTP_DRAIN_PARAMS = ['drain', 'stop_draining', 'is_draining', 'is_safe_to_kill'];

/** PaaSTA's SECRET_REGEX: SECRET(name) or SHARED_SECRET(name). */
const SECRET_REF = /^(SHARED_)?SECRET\([A-Za-z0-9_-]*\)$/;

/** An env value that looks like a secret reference must be one PaaSTA (and Orzo) can resolve. */
function checkSecrets(ctx: ValidationContext, env: unknown, path: KeyPath): void {
  if (!isMapping(env)) return;
  for (const k in env) {
    const v = env[k];
    if (typeof v !== 'string' || !/^\s*(SHARED_)?SECRET\b/.test(v) || SECRET_REF.test(v)) continue;
    problemAt(ctx, [...path, k], 'malformed secret reference', {
      expected: 'SECRET(name) or SHARED_SECRET(name), name of letters, digits, _ and -',
      found: describeValue(v),
    });
  }
}

/** Fields each metrics provider may not set (PaaSTA's INVALID_AUTOSCALING_FIELDS). */
const PROMQL_ONLY = ['metrics_query', 'series_query', 'target_type', 'resources'];
const NOT_FOR: Record<string, string[]> = {
  'active-requests': PROMQL_ONLY,
  'arbitrary-promql': ['desired_active_requests_per_replica'],
};
const NOT_FOR_OTHERS = ['desired_active_requests_per_replica', ...PROMQL_ONLY];

/** PaaSTA's autoscaling rules beyond the schema (validate_autoscaling_configs). */
function checkAutoscaling(ctx: ValidationContext, service: string, instance: string, raw: Record<string, unknown>, path: KeyPath): void {
  const providers = isMapping(raw.autoscaling) && Array.isArray(raw.autoscaling.metrics_providers) ? raw.autoscaling.metrics_providers : undefined;
  if (!providers || raw.max_instances === undefined) return;
  const seen = new Set<string>();
  providers.forEach((p, i) => {
    if (!isMapping(p) || typeof p.type !== 'string') return;
    const at = [...path, 'autoscaling', 'metrics_providers', i];
    for (const field of NOT_FOR[p.type] ?? NOT_FOR_OTHERS)
      if (p[field] !== undefined) problemAt(ctx, [...at, field], `metrics provider ${p.type} does not support ${field}`);
    if (p.decision_policy === 'bespoke' && providers.length > 1)
      problemAt(ctx, [...at, 'decision_policy'], 'bespoke autoscaling cannot be combined with other metrics providers');
    if (seen.has(p.type)) problemAt(ctx, [...at, 'type'], `metrics provider ${p.type} is set more than once`);
    seen.add(p.type);
    if (p.type === 'active-requests') {
      if (registrationsOf(service, instance, raw).names.length > 1)
        problemAt(ctx, [...at, 'type'], 'the active-requests metrics provider does not support instances with several registrations');
      if (p.setpoint !== undefined && p.setpoint !== 0.8)
        problemAt(ctx, [...at, 'setpoint'], 'setpoint is not supported for active-requests', { hint: 'use desired_active_requests_per_replica' });
    }
    if (p.type === 'arbitrary-promql') {
      if (!p.metrics_query) problemAt(ctx, at, 'the arbitrary-promql metrics provider needs metrics_query');
      if (typeof p.setpoint === 'number' && p.setpoint <= 0) problemAt(ctx, [...at, 'setpoint'], 'setpoint must be above 0 for arbitrary-promql');
    }
  });
}

function validateDeploy(ctx: ValidationContext): void {
  validateMapping(ctx, ctx.src.data ?? {}, DEPLOY_KEYS, [], 'deploy.yaml');
  const seen = new Set<string>();
  for (const { step, path } of pipelineSteps(ctx.src.data)) {
    if (seen.has(step)) problemAt(ctx, path, `step ${step} appears twice in the pipeline`);
    seen.add(step);
    if (!BUILD_STEPS.includes(step) && !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(step))
      problemAt(ctx, path, `step ${step} is neither a build step nor a deploy group name`, { expected: `${BUILD_STEPS.join(', ')} or a name like prod.main` });
  }
}

function validateSmartstack(
  ctx: ValidationContext,
  service: string,
  owners: Map<number, Array<{ service: string; namespace: string }>>,
  byName: ReadonlyMap<string, LoadedService>,
): void {
  const data = ctx.src.data ?? {};
  if (!isMapping(data)) {
    problemAt(ctx, [], 'smartstack.yaml must be a mapping of namespaces');
    return;
  }
  const namespaces = instanceNames(data);
  if (namespaces.length === 0) problemAt(ctx, [], 'smartstack.yaml is empty', { hint: 'remove it if the service is not in the mesh' });
  for (const ns of namespaces) {
    const np = nameProblem(ns, 'namespace');
    if (np) problemAt(ctx, [ns], np);
    validateMapping(ctx, data[ns], SMARTSTACK_KEYS, [ns], `namespace ${ns}`);
    const cfg = isMapping(data[ns]) ? data[ns] : {};
    const port = cfg.proxy_port;
    // PaaSTA: Envoy listener names (service.namespace.listener) and HAProxy socket names are bounded.
    if (service.length + ns.length > MAX_ENVOY_NAME)
      problemAt(ctx, [ns], `${service}.${ns} is too long for an Envoy listener name`, {
        expected: `service and namespace together at most ${MAX_ENVOY_NAME} characters`,
      });
    else if (port && (service + ns).length > MAX_SOCKET_NAME)
      problemAt(ctx, [ns], `${service}.${ns} is too long for a proxy socket name`, {
        expected: `service and namespace together at most ${MAX_SOCKET_NAME} characters`,
      });
    if (typeof port === 'number') {
      const others = (owners.get(port) ?? []).filter((o) => !(o.service === service && o.namespace === ns));
      if (others.length)
        problemAt(ctx, [ns, 'proxy_port'], `proxy_port ${port} is also used by ${others.map((o) => `${o.service}.${o.namespace}`).join(', ')}`, {
          hint: 'proxy ports are unique across all services',
        });
      if (Number.isInteger(port) && (port < PAASTA_PROXY_PORTS.min || port > PAASTA_PROXY_PORTS.max))
        problemAt(ctx, [ns, 'proxy_port'], `proxy_port ${port} is outside PaaSTA's range`, {
          expected: `${PAASTA_PROXY_PORTS.min}-${PAASTA_PROXY_PORTS.max}`,
          severity: 'warning',
          hint: 'Orzo runs it; PaaSTA would reject it',
        });
    }
    checkAdvertise(ctx, cfg, [ns]);
    for (const key of ['proxied_through', 'clb_proxy']) if (typeof cfg[key] === 'string') checkNamespaceExists(ctx, cfg[key] as string, [ns, key], byName);
  }
}

const MAX_ENVOY_NAME = 118;
const MAX_SOCKET_NAME = 55;

/** PaaSTA's _check_advertise_discover: discover is advertised, types and locations are known, extra_advertise targets are no less general than discover. */
function checkAdvertise(ctx: ValidationContext, cfg: Record<string, unknown>, path: KeyPath): void {
  const rank = (t: string) => (LOCATION_TYPES as readonly string[]).indexOf(t);
  const advertise = Array.isArray(cfg.advertise) ? cfg.advertise.filter((a): a is string => typeof a === 'string') : ['region'];
  const discover = typeof cfg.discover === 'string' ? cfg.discover : 'region';
  if (!advertise.includes(discover))
    problemAt(ctx, [...path, cfg.discover !== undefined ? 'discover' : 'advertise'], `discover ${discover} is not one of advertise (${advertise.join(', ')})`);
  advertise.forEach((t, i) => {
    if (rank(t) < 0) problemAt(ctx, [...path, 'advertise', i], `unknown location type ${t}`, { expected: `one of ${LOCATION_TYPES.join(', ')}` });
  });
  if (typeof cfg.discover === 'string' && rank(discover) < 0)
    problemAt(ctx, [...path, 'discover'], `unknown location type ${discover}`, { expected: `one of ${LOCATION_TYPES.join(', ')}` });
  if (!isMapping(cfg.extra_advertise)) return;
  const location = (s: unknown): string | undefined => {
    if (typeof s !== 'string') return undefined;
    const parts = s.split(':');
    return parts.length === 2 && parts[1] && rank(parts[0]!) >= 0 ? parts[0] : undefined;
  };
  const expected = `"<type>:<location>" with type one of ${LOCATION_TYPES.join(', ')}`;
  for (const source in cfg.extra_advertise) {
    const where = [...path, 'extra_advertise', source];
    if (!location(source)) problemAt(ctx, where, `extra_advertise source ${source} is not a location`, { expected });
    const targets = cfg.extra_advertise[source];
    if (!Array.isArray(targets)) {
      problemAt(ctx, where, 'wrong type or value', { expected: 'a list of locations', found: describeValue(targets) });
      continue;
    }
    targets.forEach((t, i) => {
      const type = location(t);
      if (!type) problemAt(ctx, [...where, i], `extra_advertise target ${String(t)} is not a location`, { expected });
      else if (rank(discover) >= 0 && rank(type) > rank(discover))
        problemAt(ctx, [...where, i], `extra_advertise target ${String(t)} is less general than discover ${discover}`, {
          hint: 'more hosts would see the service than intended: use a type at least as general as discover',
        });
    });
  }
}

/** proxied_through and clb_proxy name an existing namespace (service.namespace). */
function checkNamespaceExists(ctx: ValidationContext, target: string, path: KeyPath, byName: ReadonlyMap<string, LoadedService>): void {
  const [service, namespace, ...rest] = target.split('.');
  if (!service || !namespace || rest.length) {
    problemAt(ctx, path, `${target} is not a namespace`, { expected: 'service.namespace' });
    return;
  }
  const ss = byName.get(service)?.smartstack?.src.data;
  if (!isMapping(ss) || !isMapping(ss[namespace]))
    problemAt(ctx, path, `${target} is not a namespace of the tree`, {
      expected: byName.has(service) ? `a namespace of ${service}/smartstack.yaml` : `a service directory ${service} with a smartstack.yaml`,
    });
}

function proxyPortOwners(all: readonly LoadedService[]): Map<number, Array<{ service: string; namespace: string }>> {
  const owners = new Map<number, Array<{ service: string; namespace: string }>>();
  for (const s of all) {
    const data = s.smartstack?.src.data;
    if (!isMapping(data)) continue;
    for (const ns of instanceNames(data)) {
      const port = isMapping(data[ns]) ? data[ns].proxy_port : undefined;
      if (typeof port === 'number') owners.set(port, [...(owners.get(port) ?? []), { service: s.name, namespace: ns }]);
    }
  }
  return owners;
}

/** Executors whose actions run a deployed image (PaaSTA's KUBERNETES_EXECUTOR_NAMES). */
const IMAGE_EXECUTORS = ['paasta', 'spark'];

function validateTronJob(ctx: ValidationContext, raw: Record<string, unknown>, path: string[], name: string, steps: Set<string> | undefined): void {
  validateMapping(ctx, raw, TRON_JOB_KEYS, path, `job ${name}`);
  if (raw.schedule !== undefined) {
    const sp = tronScheduleProblem(raw.schedule, raw.time_zone ?? '');
    if (sp) problemAt(ctx, [...path, 'schedule'], `schedule does not parse: ${sp}`);
  }
  const jobGroup = typeof raw.deploy_group === 'string' ? raw.deploy_group : undefined;
  const action = (a: unknown, at: KeyPath, label: string, table: KeyTable) => {
    validateMapping(ctx, a, table, at, label);
    if (!isMapping(a)) return;
    checkSecrets(ctx, a.env, [...at, 'env']);
    const executor = typeof a.executor === 'string' ? a.executor : 'paasta';
    if (executor === 'spark')
      for (const k of ['cpus', 'mem'])
        if (a[k] !== undefined)
          problemAt(ctx, [...at, k], `${k} is not allowed for a Spark action`, { hint: 'set spark.driver.cores / spark.driver.memory in spark_args' });
    const group = typeof a.deploy_group === 'string' ? a.deploy_group : jobGroup;
    const where = typeof a.deploy_group === 'string' ? [...at, 'deploy_group'] : jobGroup ? [...path, 'deploy_group'] : at;
    if (group === undefined) {
      if (IMAGE_EXECUTORS.includes(executor))
        problemAt(ctx, at, `${label} has no deploy_group: a ${executor} action runs a deployed image`, { hint: 'set deploy_group on the job or the action' });
    } else if (!steps)
      problemAt(ctx, where, `no deploy.yaml: deploy group ${group} can never get a version`, { hint: 'add deploy.yaml with a pipeline naming it' });
    else if (!steps.has(group))
      problemAt(ctx, where, `deploy group ${group} is not a step of the deploy.yaml pipeline, so it never gets a version`, {
        expected: `one of ${[...steps].join(', ') || '(no steps)'}`,
        hint: `add "- step: ${group}" to deploy.yaml`,
      });
  };
  const actions = raw.actions;
  if (Array.isArray(actions))
    actions.forEach((a, i) => action(a, [...path, 'actions', i], `action ${isMapping(a) && typeof a.name === 'string' ? a.name : i + 1}`, TRON_ACTION_KEYS));
  else if (isMapping(actions)) for (const an in actions) action(actions[an], [...path, 'actions', an], `action ${an}`, TRON_ACTION_KEYS);
  if (raw.cleanup_action !== undefined) action(raw.cleanup_action, [...path, 'cleanup_action'], 'cleanup_action', TRON_ACTION_KEYS);
}

/** rollback*.yaml: PaaSTA's schema, and each condition needs a (non-zero) bound. */
function validateRollback(ctx: ValidationContext): void {
  const data = ctx.src.data ?? {};
  validateMapping(ctx, data, ROLLBACK_KEYS, [], 'rollback file');
  if (!isMapping(data) || !isMapping(data.conditions)) return;
  for (const source in data.conditions) {
    const list = data.conditions[source];
    if (!Array.isArray(list)) continue;
    list.forEach((q, i) => {
      if (isMapping(q) && !q.upper_bound && !q.lower_bound)
        problemAt(ctx, ['conditions', source, i], `condition ${typeof q.query === 'string' ? q.query : i + 1} needs upper_bound or lower_bound`);
    });
  }
}

function validateChronosJob(ctx: ValidationContext, raw: Record<string, unknown>, path: string[], name: string): void {
  const table = raw.parents !== undefined ? { ...CHRONOS_JOB_KEYS, schedule: { ...CHRONOS_JOB_KEYS.schedule!, required: false } } : CHRONOS_JOB_KEYS;
  validateMapping(ctx, raw, table, path, `job ${name}`);
  if (typeof raw.schedule === 'string') {
    const sp = chronosScheduleProblem(raw.schedule);
    if (sp) problemAt(ctx, [...path, 'schedule'], `schedule does not parse: ${sp}`);
  }
}

function hasTeam(svc: LoadedService): boolean {
  const team = (d: unknown) => isMapping(d) && typeof d.team === 'string';
  if (team(svc.monitoring?.src.data)) return true;
  const sd = svc.service?.src.data;
  if (isMapping(sd) && team(sd.monitoring)) return true;
  return [...svc.longRunning, ...svc.jobs].some(
    (f) =>
      isMapping(f.src.data) &&
      instanceNames(f.src.data).some(
        (i) => isMapping((f.src.data as Record<string, unknown>)[i]) && team((f.src.data as Record<string, Record<string, unknown>>)[i]!.monitoring),
      ),
  );
}
