// bench/soa-config: load, validate and compile a generated tree of 2,000 services x 3 clusters
// x 3 instances; prints total and per-service time, peak memory, and the same tree merely read
// from disk and merely parsed as YAML in the same run (the floors a loader cannot beat).
// Usage: node bench/dist/src/soa-config.js [services=2000]
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileService, loadServices, loadSoaConfigs, loadSystemConfig, validateServices } from '@orzo/soa-config';
import { CORE_SCHEMA, load } from 'js-yaml';
import { recordFigure } from './figures';

const SERVICES = Number(process.argv[2] ?? 2000);
const CLUSTERS = ['norcal-prod', 'pnw-prod', 'dev'];
const log = (line: string) => process.stdout.write(`${line}\n`);

function generate(root: string): number {
  let files = 0;
  for (let s = 0; s < SERVICES; s++) {
    const name = `svc-${s}`;
    const dir = join(root, name);
    mkdirSync(dir);
    const write = (file: string, text: string) => (writeFileSync(join(dir, file), text), files++);
    write('service.yaml', `description: generated service ${s}\ngit_url: git@git.example.com:services/${name}.git\n`);
    write(
      'deploy.yaml',
      `pipeline:\n- step: itest\n- step: push-to-registry\n${CLUSTERS.map((c) => `- step: ${c}.main\n- step: ${c}.canary\n  trigger_next_step_manually: true\n- step: ${c}.batch\n`).join('')}`,
    );
    write('monitoring.yaml', `team: team-${s % 50}\npage: ${s % 2 === 0}\nrunbook: http://runbooks/${name}\n`);
    write('smartstack.yaml', `main:\n  proxy_port: ${19000 + s}\n  mode: http\n  healthcheck_uri: /status\n  timeout_server_ms: 2000\n`);
    for (const c of CLUSTERS) {
      write(
        `kubernetes-${c}.yaml`,
        `_common: &common\n  cpus: 0.5\n  mem: 1024\n  env:\n    LOG_LEVEL: info\n    REGION: ${c}\n  healthcheck_grace_period_seconds: 30\n\nmain:\n  <<: *common\n  instances: ${3 + (s % 5)}\n  registrations: ['${name}.main']\n  deploy_group: ${c}.main\ncanary:\n  <<: *common\n  instances: 1\n  registrations: ['${name}.main']\n  deploy_group: ${c}.canary\nbatch:\n  <<: *common\n  cmd: ./run-batch --forever\n  min_instances: 1\n  max_instances: 4\n  deploy_group: ${c}.batch\n  monitoring:\n    page: false\n`,
      );
    }
  }
  return files;
}

function walk(dir: string, visit: (path: string) => void): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, visit);
    else visit(p);
  }
}

/** The value, the wall seconds and the CPU seconds (user + system) of this process; on a busy machine the CPU time is the steadier figure. */
function timed<T>(fn: () => T): [T, number, number] {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const v = fn();
  const used = process.cpuUsage(c);
  return [v, Number(process.hrtime.bigint() - t) / 1e9, (used.user + used.system) / 1e6];
}

function main(): void {
  const root = mkdtempSync(join(tmpdir(), 'orzo-soa-bench-'));
  try {
    const files = generate(root);
    const system = loadSystemConfig({ env: { ORZO_CLUSTERS: CLUSTERS.join(',') } }).config;
    let bytes = 0;
    const [, readSeconds] = timed(() => walk(root, (p) => (bytes += readFileSync(p).length)));
    const [, parseSeconds, parseCpu] = timed(() => walk(root, (p) => load(readFileSync(p, 'utf8'), { schema: CORE_SCHEMA })));
    const heapBefore = process.memoryUsage().heapUsed;
    const [result, loadSeconds, loadCpu] = timed(() => loadSoaConfigs({ soaDir: root, system }));
    const heapAfter = process.memoryUsage().heapUsed;
    const instances = result.services.reduce((n, s) => n + s.instances.length, 0);
    if (result.errors)
      throw new Error(
        `the generated tree should be valid: ${result.problems
          .slice(0, 3)
          .map((p) => p.message)
          .join('; ')}`,
      );
    log(
      `soa-config: ${SERVICES} services x ${CLUSTERS.length} clusters x 3 instances = ${instances} instances, ${files} files, ${(bytes / 1e6).toFixed(1)} MB, node ${process.version}, one core`,
    );
    log(`  read every file (floor)              ${readSeconds.toFixed(3)} s`);
    log(`  read + js-yaml parse only            ${parseSeconds.toFixed(3)} s   (CPU ${parseCpu.toFixed(3)} s)`);
    log(
      `  load + validate + compile (Orzo)     ${loadSeconds.toFixed(3)} s   (CPU ${loadCpu.toFixed(3)} s)   ${((loadSeconds / SERVICES) * 1e3).toFixed(3)} ms/service   goal < 1 s for 2,000 services`,
    );
    // What control-api, the builder and jenkins-hook read per request: one service, checked against the tree.
    const one = `svc-${Math.floor(SERVICES / 2)}`;
    const [single, oneSeconds, oneCpu] = timed(() => loadSoaConfigs({ soaDir: root, system, service: one }));
    if (single.errors || single.services.length !== 1) throw new Error(`${one} should load alone without errors`);
    log(`  one service of the tree (-s ${one})     ${oneSeconds.toFixed(3)} s   (CPU ${oneCpu.toFixed(3)} s)`);
    // A second, warm pass split into its phases, to show where the time goes.
    const [all, tLoad] = timed(() => loadServices(root));
    const [, tValidate] = timed(() => validateServices(all, all, system));
    const byName = new Map(all.map((s) => [s.name, s]));
    const [, tCompile] = timed(() => all.map((s) => compileService(s, byName, system)));
    log(
      `  warm pass: read + parse ${tLoad.toFixed(3)} s, validate ${tValidate.toFixed(3)} s, compile ${tCompile.toFixed(3)} s = ${(tLoad + tValidate + tCompile).toFixed(3)} s`,
    );
    recordFigure({
      bench: 'soa',
      measure: `load + validate + compile ${SERVICES} services x ${CLUSTERS.length} clusters x 3 instances`,
      value: loadSeconds,
      unit: 's',
      floor: { label: 'read + YAML parse only', value: parseSeconds },
      goal: '< 1 s',
      met: loadSeconds < 1,
    });
    log(
      `  ratio load / YAML parse only: ${(loadSeconds / parseSeconds).toFixed(2)} (CPU ${(loadCpu / parseCpu).toFixed(2)})   ratio load / read: ${(loadSeconds / readSeconds).toFixed(1)}   load average ${loadavg()[0]!.toFixed(1)}`,
    );
    log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; heap grew ${((heapAfter - heapBefore) / 1e6).toFixed(0)} MB while loading`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main();
