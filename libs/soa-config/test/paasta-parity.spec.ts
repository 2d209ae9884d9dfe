import assert from 'node:assert/strict';
import { describe as suite, it } from 'node:test';
import { ConfigProblem, loadSoaConfigs, loadSystemConfig } from '../src';
import { MINIMAL, describe, errors, load, writeTree } from './tree-helper';

// PaaSTA's own test services (Yelp/paasta general_itests/fake_soa_configs_validate): `paasta
// validate` passes the first and fails the second.
const PAASTA_VALID: Record<string, string> = {
  'fake_valid_service/deploy.yaml': 'pipeline:\n  - step: fake_deploy_group\n',
  'fake_valid_service/kubernetes-test-cluster.yaml': `---
main2:
  cpus: .1
  mem: 100
  disk: 200.0
  instances: 1
  env:
    FOO: BAR
  deploy_group: fake_deploy_group
  sidecar_resource_requirements:
    hacheck:
      limits:
        cpu: 1.0
        memory: 1025m
        ephemeral-storage: 257m
      requests:
        cpu: 0.1
        memory: 1024m
        ephemeral-storage: 256m
`,
};
const PAASTA_INVALID: Record<string, string> = {
  'fake_invalid_service/deploy.yaml': 'pipeline:\n  - step: fake_deploy_group\n',
  'fake_invalid_service/kubernetes-test-cluster.yaml':
    '---\nmain:\n    cpus: .1\n    mem: 100\n    disk: 200\n    instances: 1\n    oops: oops\n    env:\n      FOO: BAR\n',
};

/** A tree loaded with no cluster list configured: no orzo.yaml, no ORZO_CLUSTERS. */
function loadUnconfigured(files: Record<string, string>) {
  return loadSoaConfigs({ soaDir: writeTree(files), system: loadSystemConfig({ env: {}, cwd: writeTree({}) }).config });
}

const messages = (ps: ConfigProblem[]) => ps.map((e) => `${e.path}: ${e.message}`);

suite("PaaSTA's verdicts", () => {
  it("PaaSTA's valid test service validates, its cluster noted, never an error", () => {
    const r = loadUnconfigured(PAASTA_VALID);
    assert.equal(r.errors, 0, describe(r));
    assert.equal(r.warnings, 1, describe(r)); // Orzo's own: no monitoring team anywhere
    assert.match(describe(r), /no monitoring team/);
    const notes = r.problems.filter((p) => p.severity === 'info');
    assert.deepEqual(
      notes.map((n) => n.message),
      ['cluster test-cluster is not one this Orzo runs (local): its files are validated, not deployed'],
    );
    assert.deepEqual(
      r.services[0]!.instances.map((i) => [i.cluster, i.instance, i.diskMb, i.deployGroup]),
      [['test-cluster', 'main2', 200, 'fake_deploy_group']],
    );
  });

  it("PaaSTA's invalid test service fails, naming the unknown key", () => {
    const r = loadUnconfigured(PAASTA_INVALID);
    const oops = errors(r).find((e) => e.path === 'main.oops');
    assert.deepEqual([oops?.message, oops?.line, oops?.column], ['unknown key oops', 7, 5], describe(r));
    // Its instance has no deploy_group, so its default (test-cluster.main) is not in deploy.yaml:
    // PaaSTA's check_deploy_group fails it for that too.
    assert.deepEqual(messages(errors(r)), [
      'main: deploy group test-cluster.main is not a step of the deploy.yaml pipeline, so it never gets a version',
      'main.oops: unknown key oops',
    ]);
  });

  it('keeps the near-miss hint on an unknown key', () => {
    const r = load({ ...MINIMAL, 'web/kubernetes-local.yaml': 'main:\n  instances: 1\n  registrationz: [web.main]\n' });
    const [e] = errors(r);
    assert.deepEqual([e!.path, e!.hint, e!.severity], ['main.registrationz', 'did you mean registrations?', 'error']);
  });

  // [file, yaml of the instance / namespace / step, path of the error or null when valid]
  const cases: Array<[string, string, string | null]> = [
    ['kubernetes', 'mem: 32', null],
    ['kubernetes', 'mem: 31', 'main.mem'],
    ['kubernetes', 'cpus: 0', 'main.cpus'],
    ['kubernetes', 'cpus: 0.01', null],
    ['kubernetes', 'disk: 0.5', null],
    ['kubernetes', 'disk: 0', 'main.disk'],
    ['kubernetes', 'instances: -1', 'main.instances'],
    ['kubernetes', 'instances: 1.5', 'main.instances'],
    ['kubernetes', 'max_instances: 0', null],
    ['kubernetes', 'weight: 0', 'main.weight'],
    ['kubernetes', 'weight: 1', null],
    ['kubernetes', 'bounce_method: upthendown', null],
    ['kubernetes', 'bounce_method: rolling', 'main.bounce_method'],
    ['kubernetes', 'bounce_margin_factor: 1.5', 'main.bounce_margin_factor'],
    ['kubernetes', 'bounce_overprovision_factor: 0.1', 'main.bounce_overprovision_factor'],
    ['kubernetes', 'drain_method: hacheck', null],
    ['kubernetes', 'drain_method: magic', 'main.drain_method'],
    ['kubernetes', 'healthcheck_mode: grpc', 'main.healthcheck_mode'],
    ['kubernetes', 'replication_threshold: 50.5', 'main.replication_threshold'],
    ['kubernetes', 'cfs_period_us: 999', 'main.cfs_period_us'],
    ['kubernetes', 'host_port: 70000', 'main.host_port'],
    ['kubernetes', 'registrations: [web.main, web.main]', 'main.registrations'],
    ['kubernetes', 'env: {"1BAD": x}', 'main.env.1BAD'],
    ['kubernetes', 'namespace: Not_A_Name', 'main.namespace'],
    ['kubernetes', 'iam_role: admin', 'main.iam_role'],
    ['kubernetes', 'iam_role: "arn:aws:iam::123:role/web"', null],
    ['kubernetes', 'lifecycle: {pre_stop_drain_seconds: 1.5}', 'main.lifecycle.pre_stop_drain_seconds'],
    ['kubernetes', 'bounce_health_params: {haproxy_min_fraction_up: 0}', 'main.bounce_health_params.haproxy_min_fraction_up'],
    ['kubernetes', 'sidecar_resource_requirements: {hacheck: {limits: {cpus: 1}}}', 'main.sidecar_resource_requirements.hacheck.limits.cpus'],
    ['kubernetes', 'autoscaling: {metrics_providers: [{type: cpu, setpoint: 0.7}]}', null],
    ['kubernetes', 'autoscaling: {metrics_providers: [{type: gpu}]}', 'main.autoscaling.metrics_providers.0.type'],
    [
      'kubernetes',
      'autoscaling: {metrics_providers: [{type: cpu, moving_average_window_seconds: 30}]}',
      'main.autoscaling.metrics_providers.0.moving_average_window_seconds',
    ],
    ['kubernetes', 'monitoring: {team: infra, some_new_key: 1}', null],
    ['kubernetes', 'pod_management_policy: Sometimes', 'main.pod_management_policy'],
    ['adhoc', 'mem: 32', 'shell.mem'],
    ['adhoc', 'mem: 33', null],
    ['adhoc', 'cmd: [a, b]', null],
    ['adhoc', 'cmd: 3', 'shell.cmd'],
    ['smartstack', 'proxy_port: 20001\n  timeout_connect_ms: 60001', 'main.timeout_connect_ms'],
    ['smartstack', 'proxy_port: 20001\n  retries: 11', 'main.retries'],
    ['smartstack', 'proxy_port: 20001\n  healthcheck_timeout_s: 11', 'main.healthcheck_timeout_s'],
    ['smartstack', 'proxy_port: 20001\n  mode: http2', null],
    ['smartstack', 'proxy_port: 20001\n  lb_policy: ROUND_ROBIN', null],
    ['smartstack', 'proxy_port: 20001\n  lb_policy: leastconn', 'main.lb_policy'],
    ['smartstack', 'proxy_port: 20001\n  healthcheck_uri: status', 'main.healthcheck_uri'],
    ['smartstack', 'proxy_port: 20001\n  balance: random', 'main.balance'],
    ['deploy', 'timeout: 10m', 'pipeline.1.timeout'],
    ['deploy', 'timeout: 600', null],
    ['deploy', 'alertmanager_poll_interval_s: 10', 'pipeline.1.alertmanager_poll_interval_s'],
  ];
  for (const [kind, yaml, path] of cases) {
    it(`${kind}: ${yaml.replace(/\n\s*/g, ', ')} is ${path ? 'an error' : 'valid'}`, () => {
      const indented = `  ${yaml}\n`;
      const files: Record<string, string> =
        kind === 'deploy'
          ? { 'web/deploy.yaml': `pipeline:\n  - step: itest\n  - step: local.main\n    ${yaml}\n` }
          : kind === 'smartstack'
            ? { 'web/smartstack.yaml': `main:\n${indented}` }
            : { [`web/${kind}-local.yaml`]: `${kind === 'adhoc' ? 'shell' : 'main'}:\n${indented}` };
      const r = load({ ...MINIMAL, ...files });
      assert.deepEqual(
        errors(r).map((e) => e.path),
        path ? [path] : [],
        describe(r),
      );
    });
  }

  it("warns (PaaSTA rejects) a proxy_port outside PaaSTA's 19000-21000", () => {
    const r = load({ ...MINIMAL, 'web/smartstack.yaml': 'main:\n  proxy_port: 40001\n' });
    assert.equal(r.errors, 0, describe(r));
    assert.match(describe(r), /warning: main.proxy_port: proxy_port 40001 is outside PaaSTA's range \(expected 19000-21000\)/);
  });
});

suite("PaaSTA's cross-file checks", () => {
  const fails = (files: Record<string, string>, pattern: RegExp) => {
    const r = load({ ...MINIMAL, ...files });
    assert.ok(
      errors(r).some((e) => pattern.test(`${e.path}: ${e.message}`)),
      `expected an error matching ${pattern}:\n${describe(r)}`,
    );
  };
  const passes = (files: Record<string, string>) => {
    const r = load({ ...MINIMAL, ...files });
    assert.equal(r.errors, 0, describe(r));
  };

  it('instance names are unique per cluster across kubernetes, eks and adhoc files', () => {
    fails({ 'web/eks-local.yaml': 'main:\n  instances: 1\n' }, /^main: instance main is also defined in (eks|kubernetes)-local.yaml for cluster local/);
    fails({ 'web/adhoc-local.yaml': 'main:\n  cmd: ./x\n' }, /^main: instance main is also defined in/);
    passes({ 'web/deploy.yaml': 'pipeline:\n  - step: local.main\n  - step: local.other\n', 'web/eks-local.yaml': 'other:\n  instances: 1\n' });
  });

  it('min_instances <= max_instances', () => {
    fails({ 'web/kubernetes-local.yaml': 'main:\n  min_instances: 5\n  max_instances: 2\n' }, /min_instances is above max_instances/);
    passes({ 'web/kubernetes-local.yaml': 'main:\n  min_instances: 2\n  max_instances: 5\n' });
  });

  it('autoscaling provider rules', () => {
    const k8s = (providers: string, extra = '') => ({
      'web/kubernetes-local.yaml': `main:\n  max_instances: 5\n${extra}  autoscaling:\n    metrics_providers: ${providers}\n`,
    });
    fails(k8s('[{type: cpu}, {type: cpu}]'), /metrics provider cpu is set more than once/);
    fails(k8s('[{type: cpu, decision_policy: bespoke}, {type: uwsgi}]'), /bespoke autoscaling cannot be combined/);
    fails(k8s('[{type: cpu, desired_active_requests_per_replica: 3}]'), /metrics provider cpu does not support desired_active_requests_per_replica/);
    fails(k8s('[{type: active-requests, setpoint: 0.5}]'), /setpoint is not supported for active-requests/);
    fails(k8s('[{type: active-requests}]', '  registrations: [web.main, web.other]\n'), /does not support instances with several registrations/);
    fails(k8s('[{type: arbitrary-promql}]'), /arbitrary-promql metrics provider needs metrics_query/);
    fails(k8s('[{type: arbitrary-promql, metrics_query: "up", setpoint: 0}]'), /setpoint must be above 0/);
    passes(k8s('[{type: cpu, setpoint: 0.7}, {type: uwsgi}]'));
    passes(k8s('[{type: arbitrary-promql, metrics_query: "sum(up)", setpoint: 3}]'));
  });

  it('tron actions running an image need a deploy group in deploy.yaml', () => {
    const tron = (job: string) => ({ 'web/tron-local.yaml': `nightly:\n  schedule: "daily 04:00:00"\n${job}  actions:\n    run: {command: ./run}\n` });
    fails(tron(''), /^nightly.actions.run: action run has no deploy_group/);
    fails(tron('  deploy_group: prod.batch\n'), /^nightly.deploy_group: deploy group prod.batch is not a step of the deploy.yaml pipeline/);
    passes(tron('  deploy_group: local.main\n'));
    // ssh actions run no image: no deploy group needed.
    passes({ 'web/tron-local.yaml': 'nightly:\n  schedule: "daily 04:00:00"\n  actions:\n    run: {command: ./run, executor: ssh}\n' });
    fails(
      { 'web/tron-local.yaml': 'j:\n  schedule: "daily 04:00"\n  deploy_group: local.main\n  actions:\n    s: {command: x, executor: spark, mem: 1024}\n' },
      /mem is not allowed for a Spark action/,
    );
  });

  it('smartstack: discover is advertised, locations are well-formed and no less general than discover', () => {
    const ss = (extra: string) => ({ 'web/smartstack.yaml': `main:\n  proxy_port: 20001\n${extra}` });
    fails(ss('  advertise: [habitat]\n  discover: region\n'), /discover region is not one of advertise \(habitat\)/);
    fails(ss('  advertise: [region, galaxy]\n'), /unknown location type galaxy/);
    fails(
      ss('  extra_advertise:\n    "region:uswest1": ["habitat:uswest1a"]\n'),
      /extra_advertise target habitat:uswest1a is less general than discover region/,
    );
    fails(ss('  extra_advertise:\n    "uswest1": ["region:uswest1"]\n'), /extra_advertise source uswest1 is not a location/);
    passes(ss('  advertise: [region, superregion]\n  discover: superregion\n  extra_advertise:\n    "region:uswest1": ["ecosystem:prod"]\n'));
  });

  it('proxied_through and clb_proxy name a namespace of the tree', () => {
    fails(
      { 'web/smartstack.yaml': 'main:\n  proxy_port: 20001\n  proxied_through: proxy.main\n' },
      /proxied_through: proxy.main is not a namespace of the tree/,
    );
    fails({ 'web/smartstack.yaml': 'main:\n  proxy_port: 20001\n  clb_proxy: web\n' }, /clb_proxy: web is not a namespace/);
    passes({ 'web/smartstack.yaml': 'main:\n  proxy_port: 20001\nedge:\n  proxy_port: 20002\n  proxied_through: web.main\n' });
  });

  it('smartstack.yaml is not empty, and service plus namespace fit a socket name', () => {
    fails({ 'web/smartstack.yaml': '{}\n', 'web/kubernetes-local.yaml': 'main:\n  registrations: []\n' }, /smartstack.yaml is empty/);
    const ns = 'n'.repeat(53);
    fails({ 'web/smartstack.yaml': `main:\n  proxy_port: 20001\n${ns}:\n  proxy_port: 20002\n` }, /too long for a proxy socket name/);
    passes({ 'web/smartstack.yaml': `main:\n  proxy_port: 20001\n${ns}:\n  proxy_port: null\n` });
  });

  it('SECRET() references are well-formed', () => {
    fails({ 'web/kubernetes-local.yaml': 'main:\n  env:\n    DB: SECRET(db password)\n' }, /^main.env.DB: malformed secret reference/);
    fails({ 'web/adhoc-local.yaml': 'shell:\n  env:\n    DB: SECRET[db]\n' }, /^shell.env.DB: malformed secret reference/);
    passes({ 'web/kubernetes-local.yaml': 'main:\n  env:\n    DB: SECRET(db_password)\n    SHARED: SHARED_SECRET(shared-key)\n    PLAIN: SECRETARY\n' });
  });

  it('a service with a service.yaml has a monitoring.yaml', () => {
    const { 'web/monitoring.yaml': _m, ...without } = MINIMAL;
    const r = load({ ...without, 'web/kubernetes-local.yaml': 'main:\n  instances: 2\n  monitoring: {team: infra}\n' });
    assert.deepEqual(messages(errors(r)), [
      ': no monitoring.yaml: every service with a service.yaml needs one, so alerts reach a team (PaaSTA fails this too)',
    ]);
    passes({});
  });

  it('drain_method http needs its four requests; healthcheck_mode cmd its command; no iam_role with a service account', () => {
    fails(
      { 'web/kubernetes-local.yaml': 'main:\n  drain_method: http\n  drain_method_params: {drain: {}}\n' },
      /drain_method http needs drain_method_params stop_draining, is_draining, is_safe_to_kill/,
    );
    passes({
      'web/kubernetes-local.yaml':
        'main:\n  drain_method: http\n  drain_method_params: {drain: {url_format: x}, stop_draining: {}, is_draining: {}, is_safe_to_kill: {}}\n',
    });
    fails({ 'web/kubernetes-local.yaml': 'main:\n  healthcheck_mode: cmd\n' }, /healthcheck_mode cmd needs healthcheck_cmd/);
    fails(
      { 'web/kubernetes-local.yaml': 'main:\n  service_account_name: web\n  iam_role: "arn:aws:iam::1:role/web"\n' },
      /service_account_name and iam_role cannot both be set/,
    );
    fails({ 'web/kubernetes-local.yaml': 'main:\n  fs_group_change_policy: Always\n' }, /fs_group_change_policy needs fs_group/);
  });

  it('rollback files: the schema, and a bound on every condition', () => {
    fails({ 'web/rollback.yaml': 'conditions:\n  signalfx:\n    - query: errors\n' }, /condition errors needs upper_bound or lower_bound/);
    fails({ 'web/rollback.yaml': 'conditions:\n  graphite: []\n' }, /conditions.graphite: unknown key graphite/);
    passes({ 'web/rollback.yaml': 'conditions:\n  prometheus:\n    - query: errors\n      upper_bound: 5\nallowed_failing_queries: 1\n' });
  });
});

suite('clusters and orzo.yaml', () => {
  it('with clusters configured, a file for another cluster is still valid and noted once', () => {
    const r = load(
      {
        ...MINIMAL,
        'web/deploy.yaml': 'pipeline:\n  - step: local.main\n  - step: prod.main\n',
        'web/kubernetes-prod.yaml': 'main: {}\n',
        'web/adhoc-prod.yaml': 'shell: {}\n',
      },
      { clusters: ['local'] },
    );
    assert.equal(r.errors, 0, describe(r));
    assert.equal(r.problems.filter((p) => p.severity === 'info').length, 1, describe(r));
  });

  it('reads the orzo.yaml at the root of a tree given on the command line', () => {
    const dir = writeTree({ ...PAASTA_VALID, 'orzo.yaml': 'clusters:\n  test-cluster: {engine: docker}\n' });
    const cwd = writeTree({});
    const { config } = loadSystemConfig({ env: {}, cwd, tree: dir });
    assert.equal(config.file, `${dir}/orzo.yaml`);
    assert.equal(config.soaDir, dir);
    assert.deepEqual(Object.keys(config.clusters), ['test-cluster']);
    const r = loadSoaConfigs({ soaDir: dir, system: config });
    assert.equal(r.problems.filter((p) => p.severity === 'info').length, 0, describe(r));
    // ORZO_CONFIG still wins.
    const other = writeTree({ 'orzo.yaml': 'clusters:\n  elsewhere: {}\n' });
    assert.deepEqual(Object.keys(loadSystemConfig({ env: { ORZO_CONFIG: `${other}/orzo.yaml` }, cwd, tree: dir }).config.clusters), ['elsewhere']);
  });
});
