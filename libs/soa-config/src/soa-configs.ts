import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledInstance, CompiledJob, compileAdhoc, compileInstances, compileJobs, serviceMonitoring } from './compile';
import { LoadedService, loadService, loadServiceMesh } from './load';
import { listServices } from './tree';
import { parseDuration } from './parse';
import { ConfigProblem, didYouMean } from './problems';
import { isMapping } from './schema/validate';
import { SystemConfig, loadSystemConfig } from './system-config';
import { BUILD_STEPS, indexTree, validateService } from './validate-tree';

export interface PipelineStep {
  step: string;
  /** A deploy group (gets a version) rather than a build step. */
  deployGroup: boolean;
  triggerNextStepManually: boolean;
  /** auto_rollback: a failed deploy of this group goes back to its previous version. */
  autoRollback: boolean;
  command?: string;
  /** Steps that run together with this one (a `parallel:` block). */
  parallelGroup?: number;
  /** disabled: true: the step is skipped (a deploy group is not deployed, a command not run). */
  disabled: boolean;
  /** wait_for_deployment (default true): false goes on to the next step as soon as the group is marked. */
  waitForDeployment: boolean;
  /** timeout: seconds the deploy of this group may take before the pipeline fails. */
  timeoutSeconds?: number;
  /** ignore_failure: a non-deploy step that fails does not stop the pipeline. */
  ignoreFailure: boolean;
}

export interface CompiledService {
  name: string;
  dir: string;
  description?: string;
  gitUrl?: string;
  /** docker_registry of service.yaml: where this service's images go instead of the system registry. */
  dockerRegistry?: string;
  team?: string;
  pipeline: PipelineStep[];
  instances: CompiledInstance[];
  jobs: CompiledJob[];
  /** adhoc-<cluster>.yaml instances: one-off runs (orzo remote-run / local-run). */
  adhoc: CompiledInstance[];
}

export interface SoaConfigsResult {
  system: SystemConfig;
  services: CompiledService[];
  /** Errors and warnings, ordered by file, line and column. */
  problems: ConfigProblem[];
  errors: number;
  warnings: number;
}

export interface LoadOptions {
  /** Default: the system config's soa_dir. */
  soaDir?: string;
  /** Validate and compile only this service (the rest of the tree is read for cross-service rules). */
  service?: string;
  system?: SystemConfig;
}

/** Load, validate and compile a soa-configs tree. Never throws for bad input: it reports it. */
export function loadSoaConfigs(options: LoadOptions = {}): SoaConfigsResult {
  const systemResult = options.system ? { config: options.system, problems: [] } : loadSystemConfig();
  const system = systemResult.config;
  const soaDir = options.soaDir ?? system.soaDir;
  const problems: ConfigProblem[] = [...systemResult.problems];
  if (!existsSync(soaDir) || !statSync(soaDir).isDirectory()) {
    problems.push({
      file: soaDir,
      line: 0,
      column: 0,
      path: '',
      message: 'soa-configs directory not found',
      hint: 'pass -y <dir>, or set soa_dir in orzo.yaml / ORZO_SOA_DIR',
      severity: 'error',
    });
    return finish(system, [], problems);
  }
  // One service: the others are read only as far as the rules that span services need (their
  // smartstack.yaml), which is what control-api, the builder and jenkins-hook ask for per request.
  const names = listServices(soaDir);
  if (options.service !== undefined && !names.includes(options.service)) {
    const s = didYouMean(options.service, names);
    problems.push({
      file: join(soaDir, options.service),
      line: 0,
      column: 0,
      path: '',
      message: `unknown service ${options.service}: no such directory in ${soaDir}`,
      hint: s ? `did you mean ${s}?` : undefined,
      severity: 'error',
    });
    return finish(system, [], problems);
  }
  // The rules that span services read only the others' smartstack.yaml: read those first, then
  // load, validate and compile one service at a time, so each one's parsed files are garbage
  // once it is compiled (a young generation to collect, not the whole tree kept alive).
  const all = names.map((name) => loadServiceMesh(soaDir, name));
  const tree = indexTree(all);
  const services: CompiledService[] = [];
  for (const mesh of all) {
    if (options.service !== undefined && mesh.name !== options.service) continue;
    const svc = loadService(soaDir, mesh.name, mesh.smartstack);
    const found: ConfigProblem[] = [];
    validateService(svc, tree, system, found);
    problems.push(...found);
    const failing = failingDirs(new Set(found.filter((p) => p.severity === 'error').map((p) => p.file)));
    if (!failing.has(svc.dir)) services.push(compileService(svc, tree.byName, system));
  }
  return finish(system, services, problems);
}

/** The directories that a file with errors is, or is in: each prefix of its path up to a "/". */
function failingDirs(files: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const f of files) {
    dirs.add(f);
    for (let i = f.indexOf('/'); i >= 0; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
  }
  return dirs;
}

function finish(system: SystemConfig, services: CompiledService[], problems: ConfigProblem[]): SoaConfigsResult {
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return {
    system,
    services,
    problems,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
  };
}

export function compileService(svc: LoadedService, all: ReadonlyMap<string, LoadedService>, system: SystemConfig): CompiledService {
  const sd = isMapping(svc.service?.src.data) ? svc.service!.src.data : {};
  const instances = compileInstances(svc, all, system);
  return {
    name: svc.name,
    dir: svc.dir,
    description: typeof sd.description === 'string' ? sd.description : undefined,
    gitUrl: typeof sd.git_url === 'string' ? sd.git_url : undefined,
    dockerRegistry: typeof sd.docker_registry === 'string' && sd.docker_registry ? sd.docker_registry : undefined,
    team: instances[0]?.monitoring.team ?? teamOf(svc),
    pipeline: pipelineOf(svc.deploy?.src.data),
    instances,
    jobs: compileJobs(svc, system),
    adhoc: compileAdhoc(svc, all, system),
  };
}

/** The service-wide team (monitoring.yaml over service.yaml), for services without instances. */
function teamOf(svc: LoadedService): string | undefined {
  const team = serviceMonitoring(svc).team;
  return typeof team === 'string' ? team : undefined;
}

/**
 * The build steps of a pipeline: the non-deploy steps before its first deploy group (itest,
 * security-check, push-to-registry), which run with the build, before any deploy.
 */
export function buildSteps(pipeline: readonly PipelineStep[]): PipelineStep[] {
  const first = pipeline.findIndex((s) => s.deployGroup && !s.disabled);
  return pipeline.slice(0, first < 0 ? undefined : first).filter((s) => !s.disabled);
}

/** The steps of the parallel block `index` is in (itself alone when it is not in one), as [first, last] indexes. */
export function blockOf(pipeline: readonly PipelineStep[], index: number): [number, number] {
  const group = pipeline[index]?.parallelGroup;
  if (group === undefined) return [index, index];
  let first = index;
  let last = index;
  while (first > 0 && pipeline[first - 1]!.parallelGroup === group) first--;
  while (last < pipeline.length - 1 && pipeline[last + 1]!.parallelGroup === group) last++;
  return [first, last];
}

export function pipelineOf(data: unknown): PipelineStep[] {
  const out: PipelineStep[] = [];
  if (!isMapping(data) || !Array.isArray(data.pipeline)) return out;
  let group = 0;
  // A step of a parallel block takes the block's options it does not set itself.
  const add = (s: Record<string, unknown>, parallelGroup?: number, block: Record<string, unknown> = {}) => {
    if (typeof s.step !== 'string') return;
    const opt = (key: string): unknown => (s[key] !== undefined ? s[key] : block[key]);
    const timeout = parseDuration(opt('timeout'));
    out.push({
      step: s.step,
      deployGroup: !BUILD_STEPS.includes(s.step),
      triggerNextStepManually: opt('trigger_next_step_manually') === true,
      autoRollback: opt('auto_rollback') === true,
      command: typeof s.command === 'string' ? s.command : undefined,
      parallelGroup,
      disabled: opt('disabled') === true,
      waitForDeployment: opt('wait_for_deployment') !== false,
      ignoreFailure: opt('ignore_failure') === true,
      ...(timeout !== null && timeout > 0 ? { timeoutSeconds: timeout } : {}),
    });
  };
  for (const s of data.pipeline) {
    if (!isMapping(s)) continue;
    if (Array.isArray(s.parallel)) {
      group++;
      for (const p of s.parallel) if (isMapping(p)) add(p, group, s);
    } else add(s);
  }
  return out;
}
