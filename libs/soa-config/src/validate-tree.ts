import { LoadedFile, LoadedService } from './load';
import { nameProblem } from './names';
import { chronosScheduleProblem, tronScheduleProblem } from './schedule';
import { ConfigProblem } from './problems';
import {
  ADHOC_KEYS,
  CHRONOS_JOB_KEYS,
  DEPLOY_KEYS,
  LONG_RUNNING_KEYS,
  MONITORING_KEYS,
  SERVICE_KEYS,
  SMARTSTACK_KEYS,
  TRON_ACTION_KEYS,
  TRON_JOB_KEYS,
} from './schema/tables';
import { KeyTable } from './schema/key';
import { ValidationContext, isMapping, problemAt, validateMapping } from './schema/validate';
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
 * services. `all` is the whole tree, for registrations and proxy_port uniqueness; problems
 * are reported only for `services`.
 */
export function validateServices(services: readonly LoadedService[], all: readonly LoadedService[], system: SystemConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const byName = new Map(all.map((s) => [s.name, s]));
  const portOwners = proxyPortOwners(all);
  for (const svc of services) {
    const ctxOf = (f: LoadedFile): ValidationContext => ({ src: f.src, problems });
    const files = [svc.service, svc.deploy, svc.smartstack, svc.monitoring, ...svc.longRunning, ...svc.jobs, ...svc.adhoc].filter((f): f is LoadedFile => !!f);
    for (const f of files) problems.push(...f.src.problems);
    const usable = (f: LoadedFile | undefined): f is LoadedFile => !!f && f.src.problems.length === 0;

    const serviceNameProblem = nameProblem(svc.name, 'service');
    if (serviceNameProblem) problems.push({ file: svc.dir, line: 0, column: 0, path: '', message: serviceNameProblem, severity: 'error' });

    if (usable(svc.service)) validateMapping(ctxOf(svc.service), svc.service.src.data ?? {}, SERVICE_KEYS, [], 'service.yaml');
    if (usable(svc.monitoring))
      validateMapping(
        ctxOf(svc.monitoring),
        svc.monitoring.src.data ?? {},
        { ...MONITORING_KEYS, team: { ...MONITORING_KEYS.team!, required: true } },
        [],
        'monitoring.yaml',
      );
    if (usable(svc.deploy)) validateDeploy(ctxOf(svc.deploy));
    if (usable(svc.smartstack)) validateSmartstack(ctxOf(svc.smartstack), svc.name, portOwners);

    const steps = usable(svc.deploy) ? new Set(pipelineSteps(svc.deploy.src.data).map((s) => s.step)) : undefined;
    const clusterKnown = (f: LoadedFile) => {
      if (f.cluster && !system.clusters[f.cluster]) {
        problems.push({
          file: f.src.file,
          line: 0,
          column: 0,
          path: '',
          message: `unknown cluster ${f.cluster}`,
          expected: `one of ${Object.keys(system.clusters).join(', ')}`,
          hint: 'add it under clusters: in orzo.yaml (or ORZO_CLUSTERS)',
          severity: 'error',
        });
      }
    };

    for (const f of svc.longRunning.filter(usable)) {
      clusterKnown(f);
      forEachInstance(ctxOf(f), f, 'instance', (raw, path, name) => {
        const ctx = ctxOf(f);
        validateMapping(ctx, raw, LONG_RUNNING_KEYS, path, `instance ${name}`);
        validateInstanceRules(ctx, svc, f.cluster!, name, raw, path, steps, byName);
      });
    }
    for (const f of svc.adhoc.filter(usable)) {
      clusterKnown(f);
      forEachInstance(ctxOf(f), f, 'instance', (raw, path, name) => validateMapping(ctxOf(f), raw, ADHOC_KEYS, path, `instance ${name}`));
    }
    for (const f of svc.jobs.filter(usable)) {
      clusterKnown(f);
      forEachInstance(ctxOf(f), f, 'job', (raw, path, name) => {
        const ctx = ctxOf(f);
        if (f.flavor === 'tron') validateTronJob(ctx, raw, path, name);
        else validateChronosJob(ctx, raw, path, name);
        checkDeployGroup(ctx, svc.name, f.cluster!, name, raw, path, steps);
      });
    }
    if (!hasTeam(svc))
      problems.push({
        file: svc.dir,
        line: 0,
        column: 0,
        path: '',
        message: 'no monitoring team: alerts for this service would be dropped',
        hint: 'set team: in monitoring.yaml',
        severity: 'warning',
      });
  }
  return problems;
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
  byName: Map<string, LoadedService>,
): void {
  if (raw.cmd !== undefined && raw.args !== undefined)
    problemAt(ctx, [...path, 'args'], 'cmd and args cannot both be set', { hint: 'use cmd alone, or args with the image entrypoint' });
  if (raw.healthcheck_mode === 'cmd' && typeof raw.healthcheck_cmd !== 'string')
    problemAt(ctx, [...path, 'healthcheck_mode'], 'healthcheck_mode cmd needs healthcheck_cmd');
  if (typeof raw.min_instances === 'number' && typeof raw.max_instances === 'number' && raw.min_instances > raw.max_instances) {
    problemAt(ctx, [...path, 'min_instances'], 'min_instances is above max_instances', { found: `${raw.min_instances} > ${raw.max_instances}` });
  }
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
    problemAt(ctx, path, `no deploy.yaml: deploy group ${dg} can never get a version`, {
      hint: 'add deploy.yaml with a pipeline naming it',
      severity: 'warning',
    });
  }
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

function validateSmartstack(ctx: ValidationContext, service: string, owners: Map<number, Array<{ service: string; namespace: string }>>): void {
  const data = ctx.src.data ?? {};
  if (!isMapping(data)) {
    problemAt(ctx, [], 'smartstack.yaml must be a mapping of namespaces');
    return;
  }
  for (const ns of instanceNames(data)) {
    const np = nameProblem(ns, 'namespace');
    if (np) problemAt(ctx, [ns], np);
    validateMapping(ctx, data[ns], SMARTSTACK_KEYS, [ns], `namespace ${ns}`);
    const port = isMapping(data[ns]) ? data[ns].proxy_port : undefined;
    if (typeof port === 'number') {
      const others = (owners.get(port) ?? []).filter((o) => !(o.service === service && o.namespace === ns));
      if (others.length)
        problemAt(ctx, [ns, 'proxy_port'], `proxy_port ${port} is also used by ${others.map((o) => `${o.service}.${o.namespace}`).join(', ')}`, {
          hint: 'proxy ports are unique across all services',
        });
    }
  }
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

function validateTronJob(ctx: ValidationContext, raw: Record<string, unknown>, path: string[], name: string): void {
  validateMapping(ctx, raw, TRON_JOB_KEYS, path, `job ${name}`);
  if (raw.schedule !== undefined) {
    const sp = tronScheduleProblem(raw.schedule, raw.time_zone ?? '');
    if (sp) problemAt(ctx, [...path, 'schedule'], `schedule does not parse: ${sp}`);
  }
  const actions = raw.actions;
  if (Array.isArray(actions)) {
    // Old Tron configs list actions with a name key.
    actions.forEach((a, i) => {
      const { name: _n, ...rest } = isMapping(a) ? a : {};
      validateMapping(ctx, isMapping(a) ? rest : a, TRON_ACTION_KEYS as KeyTable, [...path, 'actions', i], `action ${i + 1}`);
    });
  } else if (isMapping(actions)) {
    for (const [an, a] of Object.entries(actions)) validateMapping(ctx, a, TRON_ACTION_KEYS, [...path, 'actions', an], `action ${an}`);
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
