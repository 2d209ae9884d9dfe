import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as suite, it } from 'node:test';
import { SoaConfigsResult, SystemConfig, formatProblem, loadSoaConfigs } from '../src';
import { system, writeTree } from './tree-helper';

// The whole result of loading a generated tree (compiled services, config hashes, every
// problem with its file, line and column, in order), compared as JSON text with a snapshot
// taken before bench:soa's speed work (issue #16): a faster loader must give exactly the same
// answers, key order included. After a deliberate change of the results, rewrite it with
// ORZO_UPDATE_SNAPSHOT=1 node --test libs/soa-config/dist/test/compile-snapshot.spec.js
// and review the diff.
const SNAPSHOT = join(__dirname, '..', '..', 'test', 'compile-snapshot.json');

const CLUSTERS = ['norcal-prod', 'dev'];

/** bench:soa's generated services (templates merged, registrations, autoscaled batch), a few of them. */
function generated(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let s = 0; s < count; s++) {
    const name = `svc-${s}`;
    files[`${name}/service.yaml`] = `description: generated service ${s}\ngit_url: git@git.example.com:services/${name}.git\n`;
    files[`${name}/deploy.yaml`] =
      `pipeline:\n- step: itest\n- step: push-to-registry\n${CLUSTERS.map((c) => `- step: ${c}.main\n- step: ${c}.canary\n  trigger_next_step_manually: true\n- step: ${c}.batch\n`).join('')}`;
    files[`${name}/monitoring.yaml`] = `team: team-${s % 2}\npage: ${s % 2 === 0}\nrunbook: http://runbooks/${name}\n`;
    files[`${name}/smartstack.yaml`] = `main:\n  proxy_port: ${19000 + s}\n  mode: http\n  healthcheck_uri: /status\n  timeout_server_ms: 2000\n`;
    for (const c of CLUSTERS)
      files[`${name}/kubernetes-${c}.yaml`] =
        `_common: &common\n  cpus: 0.5\n  mem: 1024\n  env:\n    LOG_LEVEL: info\n    REGION: ${c}\n  healthcheck_grace_period_seconds: 30\n\nmain:\n  <<: *common\n  instances: ${3 + (s % 5)}\n  registrations: ['${name}.main']\n  deploy_group: ${c}.main\ncanary:\n  <<: *common\n  instances: 1\n  registrations: ['${name}.main']\n  deploy_group: ${c}.canary\nbatch:\n  <<: *common\n  cmd: ./run-batch --forever\n  min_instances: 1\n  max_instances: 4\n  deploy_group: ${c}.batch\n  monitoring:\n    page: false\n`;
  }
  return files;
}

/** Valid services using the rarer keys: mesh options, drains, lifecycles, env edge cases, jobs, adhoc, rollback. */
const RICH: Record<string, string> = {
  'rich/service.yaml':
    'description: rich\ngit_url: ../code/rich\ndocker_registry: registry.example:5000\nmonitoring:\n  team: from-service\n  tip: service tip\n',
  'rich/monitoring.yaml':
    'team: rich-team\nrealert_every: 30m\nnotification_email: false\nslack_channels: [a, b]\ncomponent: [x, y]\nalert_after: 2m\ncheck_every: 30s\n',
  'rich/deploy.yaml':
    'pipeline:\n- step: itest\n- step: dev.main\n  timeout: 600\n  auto_rollback: true\n- parallel:\n  - step: dev.other\n  - step: dev.jobs\n    wait_for_deployment: false\n  trigger_next_step_manually: true\n- step: command\n  command: make smoke\n  ignore_failure: true\n- step: norcal-prod.main\n  disabled: true\n',
  'rich/smartstack.yaml':
    'main:\n  proxy_port: 20500\n  mode: tcp\n  lb_policy: LEAST_REQUEST\n  timeout_client_ms: 5000\n  endpoint_timeouts:\n    /slow: 9000\n    "^/re": 100\n  extra_healthcheck_headers:\n    Host: rich.local\n  healthcheck_port: 9999\n  advertise: [region, superregion]\n  discover: region\n  extra_advertise:\n    "region:norcal": ["superregion:us"]\nother:\n  proxy_port: null\n  healthcheck_mode: https\n  proxied_through: svc-0.main\n',
  'rich/kubernetes-dev.yaml': [
    'main:',
    '  instances: 2',
    '  registrations: [rich.main, svc-1.main]',
    '  env:',
    '    ZED: last',
    '    AAA: first',
    '    PAASTA_SERVICE: overridden',
    '    MESH_REGISTRATIONS: mine',
    '    _5: digit',
    '    lower: case',
    '    ORZO_a: x',
    '  drain_method: http',
    '  drain_method_params:',
    '    drain: {url_format: "http://{host}:{port}/drain", method: POST, success_codes: 200}',
    '    stop_draining: {url_format: "http://{host}:{port}/undrain"}',
    '    is_draining: {url_format: "http://{host}:{port}/is"}',
    '    is_safe_to_kill: {url_format: "http://{host}:{port}/safe"}',
    '  lifecycle:',
    '    pre_stop_command: sleep 5',
    '    pre_stop_drain_seconds: 3',
    '    termination_grace_period_seconds: 40',
    '  bounce_health_params:',
    '    check_haproxy: false',
    '    min_task_uptime: 5',
    '  bounce_method: downthenup',
    '  args: [--port, "8080"]',
    '  container_port: 8080',
    '  monitoring:',
    '    team: instance-team',
    '    realert_every: 3',
    '    page: true',
    'other:',
    '  nerve_ns: other',
    '  deploy_group: "{cluster}.{instance}"',
    '  cmd: [./srv, --flag]',
    '  healthcheck_mode: cmd',
    '  healthcheck_cmd: /bin/true',
    '  lifecycle:',
    '    pre_stop_command: [/bin/stop, now]',
    '  max_instances: 3',
    '  min_instances: 2',
    '  instances: 10',
    '  pool: batch',
    '  weight: 3',
    '  backoff_seconds: 2',
    '  replication_threshold: 80',
    '',
  ].join('\n'),
  'rich/adhoc-dev.yaml': 'console:\n  cpus: 2\n  cmd: ./console\n  env:\n    MODE: adhoc\n',
  'rich/tron-dev.yaml':
    'nightly:\n  schedule: daily 04:00:00\n  time_zone: Europe/Paris\n  deploy_group: dev.jobs\n  max_runtime: 2h\n  monitoring:\n    team: jobs\n    check_that_every_day_has_a_successful_run: true\n  actions:\n    extract:\n      command: ./extract\n      retries: 2\n      retries_delay: 10 minutes\n      env:\n        STAGE: one\n    load:\n      command: ./load\n      requires: [extract]\n      cpus: 0.25\n      expected_runtime: 30m\n  cleanup_action:\n    command: ./cleanup\nlisted:\n  schedule:\n    type: cron\n    value: "*/5 * * * *"\n  deploy_group: dev.jobs\n  enabled: false\n  run_limit: 7\n  actions:\n  - name: one\n    command: ./one\n  - command: ./two\n',
  'rich/chronos-dev.yaml':
    'cleanup:\n  schedule: R/2026-01-01T00:00:00Z/PT1H\n  cmd: ./clean\n  deploy_group: dev.jobs\n  disabled: true\n  schedule_time_zone: UTC\n',
  'rich/rollback-dev.yaml': 'conditions:\n  signalfx:\n  - query: errors\n    upper_bound: 5\n',
  'rich/marathon-unknown-cluster.yaml': 'main:\n  instances: 1\n  deploy_group: dev.main\n',
};

/** Broken files: a problem of (nearly) every kind, each with its line and column. */
const BROKEN: Record<string, string> = {
  'bad/service.yaml': 'description: 5\nowner: [a]\nwhatever: 1\ncost_owner: Bad_Owner\n',
  'bad/deploy.yaml': 'pipeline:\n- step: dev.main\n- step: dev.main\n- step: Not A Group!\n- stepp: x\n',
  'bad/smartstack.yaml':
    'main:\n  proxy_port: 19002\n  discover: habitat\n  advertise: [region, planet]\n  proxied_through: nowhere.main\n  clb_proxy: not-a-namespace\nport:\n  proxy_port: 18000\n  timeout_server_ms: "1000"\n',
  'bad/kubernetes-dev.yaml': [
    'main:',
    '  instancs: 2',
    '  cpus: -1',
    '  mem: lots',
    '  cmd: ./x',
    '  args: [y]',
    '  min_instances: 5',
    '  max_instances: 2',
    '  healthcheck_mode: cmd',
    '  drain_method: http',
    '  registrations: [ghost.main, svc-0.mian, rich]',
    '  env:',
    '    GOOD: SECRET(ok)',
    '    BAD: SECRET(no',
    '    1BAD: x',
    '    NUM: 5',
    '  monitoring:',
    '    realert_every: sometimes',
    '    notification_email: 5',
    '    unknown_monitoring_key: 1',
    '  bounce_method: sideways',
    '  deploy_group: dev.nowhere',
    '  autoscaling:',
    '    metrics_providers:',
    '    - type: cpu',
    '      desired_active_requests_per_replica: 3',
    '    - type: cpu',
    '      decision_policy: bespoke',
    'Bad_Name:',
    '  instances: 1',
    'scalar: 5',
    'dup:',
    '  instances: 1',
    '',
  ].join('\n'),
  'bad/adhoc-dev.yaml': 'dup:\n  cpus: 1\n',
  'bad/tron-dev.yaml':
    'job:\n  schedule: every blue moon\n  actions:\n    a:\n      command: ./a\n      executor: spark\n      cpus: 1\n    b:\n      command: ./b\n      deploy_group: dev.none\n',
  'bad/chronos-dev.yaml': 'cj:\n  cmd: ./c\n  schedule: not a schedule\n',
  'bad/rollback-x.yaml': 'conditions:\n  s:\n  - query: q\n',
  'syntax/monitoring.yaml': 'team: t\n',
  'syntax/service.yaml': 'description: [unclosed\n',
  'syntax/kubernetes-dev.yaml': 'main:\n  instances: 1\n  instances: 2\n',
  'nomon/service.yaml': 'description: no monitoring file\n',
  'nomon/deploy.yaml': 'pipeline:\n- step: dev.main\n',
  'nomon/kubernetes-dev.yaml': 'main:\n  instances: 1\n',
  'nodeploy/monitoring.yaml': 'page: true\n',
  'nodeploy/kubernetes-dev.yaml': 'main: {}\n',
  'nodeploy/smartstack.yaml': '{}\n',
  'list/kubernetes-dev.yaml': '- a\n- b\n',
};

function snapshotOf(results: Record<string, SoaConfigsResult>, root: string): string {
  const shown = Object.fromEntries(
    Object.entries(results).map(([k, r]) => [
      k,
      { services: r.services, problems: r.problems, lines: r.problems.map(formatProblem), errors: r.errors, warnings: r.warnings },
    ]),
  );
  return `${JSON.stringify(shown, null, 1).split(root).join('<root>')}\n`;
}

suite('compiled output of a generated tree', () => {
  it('is exactly the snapshot: services, config hashes, problems with their lines, for the whole tree and for each service alone', () => {
    const root = writeTree({ ...generated(3), ...RICH, ...BROKEN });
    try {
      const sys: SystemConfig = system(['dev', 'norcal-prod'], { mem: 512, cpu_burst_add: 2, env: { FROM_DEFAULTS: 'yes' } });
      const results: Record<string, SoaConfigsResult> = { tree: loadSoaConfigs({ soaDir: root, system: sys }) };
      for (const name of ['svc-0', 'rich', 'bad', 'syntax', 'nomon', 'nodeploy', 'list', 'svc-O'])
        results[name] = loadSoaConfigs({ soaDir: root, system: sys, service: name });
      results.noDefaults = loadSoaConfigs({ soaDir: root, system: system(['dev']), service: 'rich' });
      const text = snapshotOf(results, root);
      if (process.env.ORZO_UPDATE_SNAPSHOT === '1') writeFileSync(SNAPSHOT, text);
      assert.ok(existsSync(SNAPSHOT), `no snapshot ${SNAPSHOT}: write it with ORZO_UPDATE_SNAPSHOT=1`);
      const expected = readFileSync(SNAPSHOT, 'utf8');
      assert.ok(results.tree!.services.length >= 3 && results.tree!.errors > 20, 'the tree compiles services and reports problems');
      assert.equal(text, expected);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
