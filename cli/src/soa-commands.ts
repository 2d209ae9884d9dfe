import { Command } from 'commander';
import { SoaConfigsResult, formatProblem, loadSoaConfigs, loadSystemConfig } from '@orzo/soa-config';
import { CliContext, Output, UsageError, action, jsonOption, serviceOption } from './command-kit';

// Kept here too: verb modules written before command-kit import it from this file.
export { UsageError } from './command-kit';

export interface SoaOptions {
  service?: string;
  soaDir?: string;
  json?: boolean;
}

/** validate, list and info: read the soa-configs tree on disk, no platform needed. */
export function registerSoaCommands(program: Command, ctx: CliContext): void {
  program.commandsGroup('soa-configs (see docs/soa-configs.md; -y defaults to soa_dir of orzo.yaml, else ./soa-configs):');
  const verb = (name: string, description: string, fn: (o: SoaOptions, io: Output) => number, json: string) =>
    program
      .command(name)
      .description(description)
      .addOption(serviceOption('the service (required by info; validate: only this one)'))
      .option('-y, --soa-dir <dir>', 'the soa-configs tree')
      .addOption(jsonOption(json))
      .action(action<SoaOptions>(ctx, (o) => fn(o, ctx.io)));
  verb(
    'validate',
    'check files, keys, types and cross-file rules; exit 0 clean, 1 errors, 2 usage',
    validate,
    'one JSON document: {ok, errors, warnings, problems, services}',
  );
  verb('list', 'the services of the tree', list, 'one JSON document: the names');
  verb('info', 'instances per cluster, deploy groups, endpoints and proxy ports, team (needs -s)', info, 'one JSON document: the compiled service');
}

function load(values: SoaOptions): SoaConfigsResult {
  // -y <tree>: an orzo.yaml at the root of the tree describes it (its clusters, defaults).
  const system = loadSystemConfig({ tree: values.soaDir });
  const result = loadSoaConfigs({ soaDir: values.soaDir, service: values.service, system: system.config });
  if (system.problems.length) {
    result.problems.unshift(...system.problems);
    result.errors += system.problems.filter((p) => p.severity === 'error').length;
  }
  return result;
}

/** orzo validate [-s service] [-y soa_dir] [--json]: 0 clean, 1 errors, 2 usage. */
export function validate(values: SoaOptions, io: Output): number {
  const r = load(values);
  if (values.json) {
    io.out(
      JSON.stringify({ ok: r.errors === 0, errors: r.errors, warnings: r.warnings, problems: r.problems, services: r.services.map((s) => s.name) }, null, 2),
    );
    return r.errors ? 1 : 0;
  }
  for (const p of r.problems) (p.severity === 'error' ? io.err : io.out)(formatProblem(p));
  const notes = r.problems.filter((p) => p.severity === 'info').length;
  const instances = r.services.reduce((n, s) => n + s.instances.length + s.jobs.length, 0);
  if (r.errors) io.err(`${r.errors} error(s), ${r.warnings} warning(s)`);
  else
    io.out(
      `valid: ${r.services.length} service(s), ${instances} instance(s) and job(s)${r.warnings ? `, ${r.warnings} warning(s)` : ''}${notes ? `, ${notes} note(s)` : ''}`,
    );
  return r.errors ? 1 : 0;
}

/** orzo list [-y soa_dir]: the services of the tree. */
export function list(values: SoaOptions, io: Output): number {
  const r = load(values);
  const fatal = r.problems.find((p) => p.message.startsWith('soa-configs directory not found'));
  if (fatal) {
    io.err(formatProblem(fatal));
    return 1;
  }
  const names = new Set([...r.services.map((s) => s.name), ...r.problems.map((p) => p.file.slice(r.system.soaDir.length + 1).split('/')[0]!).filter(Boolean)]);
  if (values.json) io.out(JSON.stringify([...names].sort()));
  else for (const n of [...names].sort()) io.out(n);
  return 0;
}

/** orzo info -s <service> [-y soa_dir] [--json]: instances per cluster, deploy groups, endpoints, team. */
export function info(values: SoaOptions, io: Output): number {
  if (!values.service) throw new UsageError('info needs -s <service>');
  const r = load(values);
  const svc = r.services[0];
  if (!svc) {
    for (const p of r.problems.filter((x) => x.severity === 'error')) io.err(formatProblem(p));
    io.err(`cannot show ${values.service}: fix the errors above (orzo validate -s ${values.service})`);
    return 1;
  }
  if (values.json) {
    io.out(JSON.stringify(svc, null, 2));
    return 0;
  }
  io.out(`Service: ${svc.name}`);
  if (svc.description) io.out(`Description: ${svc.description}`);
  if (svc.gitUrl) io.out(`Git repo: ${svc.gitUrl}`);
  io.out(`Monitored by: team ${svc.team ?? '(none: alerts are dropped)'}`);
  io.out(`Deploy pipeline: ${svc.pipeline.map((s) => `${s.step}${s.triggerNextStepManually ? ' (manual next)' : ''}`).join(' -> ') || '(no deploy.yaml)'}`);
  const clusters = [...new Set([...svc.instances, ...svc.jobs].map((i) => i.cluster))].sort();
  for (const cluster of clusters) {
    io.out(`Cluster ${cluster}:`);
    for (const i of svc.instances.filter((x) => x.cluster === cluster)) {
      const replicas = i.replicas.autoscaled ? `${i.replicas.min}-${i.replicas.max} (autoscaled)` : String(i.replicas.instances);
      io.out(`  ${i.instance}: ${replicas} x ${i.cpus} cpu ${i.memMb} MB, deploy group ${i.deployGroup}, config ${i.configHash}`);
    }
    for (const j of svc.jobs.filter((x) => x.cluster === cluster)) io.out(`  ${j.job} (${j.flavor} job): ${j.schedule}, deploy group ${j.deployGroup}`);
  }
  const endpoints = new Map<string, number | null>();
  for (const i of svc.instances) for (const reg of i.registrations) endpoints.set(reg.name, reg.proxyPort);
  if (endpoints.size) io.out('Endpoints:');
  for (const [name, port] of endpoints) io.out(`  ${name}: ${port === null ? 'discovery only (no proxy_port)' : `http://127.0.0.1:${port}/`}`);
  return 0;
}
