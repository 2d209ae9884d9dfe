import { KeyDef, KeyTable, ValueType, acts, any, bool, duration, int, list, map, num, str, strList, strMap, unsupported } from './key';

// The key tables: what each soa-configs file may hold, with PaaSTA's types, enums and bounds
// (paasta_tools/cli/schemas/*_schema.json), Orzo's defaults and what Orzo does with each key.
// A key Orzo starts acting on flips with one line: add `...acts('<compiled property>', '<file that reads it>')`.

// Files that act on compiled keys (test/key-support.spec.ts checks each still reads its property).
const DOCKER = 'services/scheduler-bridge/src/docker-engine.ts';
const SWARM = 'services/scheduler-bridge/src/engine/swarm-engine.ts';
const RECONCILER = 'services/scheduler-bridge/src/reconcile/reconciler.ts';
const BOUNCE = 'services/scheduler-bridge/src/reconcile/bounce.ts';
const PROBE = 'libs/platform/src/replica-probe.ts';
const SB_PROBE = 'services/scheduler-bridge/src/reconcile/probe.ts';
const MONITOR = 'services/monitor-bridge/src/monitor.service.ts';
const CHECKS = 'services/monitor-bridge/src/checks/instance-checks.service.ts';
const ALERT = 'services/monitor-bridge/src/sinks/alert-sink.ts';
const ALERT_SERVICE = 'services/monitor-bridge/src/alerts/alert.service.ts';
const HAPROXY = 'services/discovery-publisher/src/haproxy/haproxy-config.ts';
const DISCOVERY = 'services/discovery-publisher/src/discovery.handlers.ts';
const PIPELINE = 'services/control-api/src/pipeline/pipeline.service.ts';
const AUTOSCALE = 'services/control-api/src/scaling/autoscale.service.ts';
const REMOTE_RUN = 'services/control-api/src/remote-run/remote-run.service.ts';
/** scheduler-bridge's job scheduler (when a run is due, overlap) and runner (actions, retries, runtimes). */
const JOB_SCHEDULER = 'services/scheduler-bridge/src/jobs/job-scheduler.ts';
const JOB_RUNNER = 'services/scheduler-bridge/src/jobs/job-runner.ts';

/** PaaSTA's names for environment variables. */
const ENV_NAME = /^[a-zA-Z_]+[a-zA-Z0-9_]*$/;
/** PaaSTA's cost_owner (a Kubernetes label value). */
const COST_OWNER = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const STRING_OR_STRINGS: ValueType = { t: 'oneof', of: [{ t: 'string' }, { t: 'string-list' }] };
const OBJECTS: ValueType = { t: 'list', of: { t: 'map', open: true } };
const LISTS: ValueType = { t: 'list', of: { t: 'list' } };

const envKey = (extra: Partial<KeyDef> = {}): KeyDef =>
  strMap(
    'Environment variables (values are strings: quote numbers). ORZO_* and PAASTA_* are injected beside them. A value `SECRET(name)` or `SHARED_SECRET(name)` names a secret.',
    { keyPattern: ENV_NAME, keyHint: 'a name of letters, digits and _, not starting with a digit', ...extra },
  );

/** monitoring.yaml, and the `monitoring:` block of service.yaml and of an instance. */
export const MONITORING_KEYS: KeyTable = {
  team: str('Team that owns the alerts; without one, alerts are dropped (as in PaaSTA).', acts('team', ALERT_SERVICE)),
  page: bool('Page the team (true) or only notify (false).', { default: false, ...acts('page', ALERT) }),
  ticket: bool('Open a ticket for the alert.', { default: false, ...acts('ticket', ALERT) }),
  runbook: str('URL of the runbook shown in alerts.', { default: 'http://y/paasta-troubleshooting', ...acts('runbook', ALERT) }),
  tip: str('One line of advice shown in alerts.', acts('tip', ALERT)),
  notification_email: {
    type: { t: 'oneof', of: [{ t: 'string' }, { t: 'boolean' }, { t: 'null' }] },
    description: 'Where alert emails go (false: none).',
    ...acts('notificationEmail', ALERT),
  },
  slack_channels: strList('Slack channels notified.', acts('slackChannels', ALERT)),
  irc_channels: strList('IRC channels notified.', acts('ircChannels', ALERT)),
  project: str('Ticket project.', acts('project', ALERT)),
  priority: str('Alert priority.', acts('priority', ALERT)),
  tags: strList('Tags added to alerts.', acts('tags', ALERT)),
  component: { type: STRING_OR_STRINGS, description: 'Component named in alerts.', ...acts('component', ALERT) },
  description: str('Description shown in alerts.', acts('description', ALERT)),
  alert_after: duration('How long a check must fail before it alerts.', { default: '5m', ...acts('alertAfterSeconds', ALERT) }),
  realert_every: {
    type: { t: 'oneof', of: [{ t: 'integer', min: -1 }, { t: 'duration' }] },
    description: 'Re-alert period in check runs; -1 = exponential backoff (1, 2, 4, 8...).',
    default: -1,
    ...acts('realertEvery', ALERT),
  },
  check_every: duration('How often checks run.', { default: '1m', ...acts('checkEverySeconds', ALERT) }),
  check_oom_events: bool('Alert on OOM kills.', { default: true, ...acts('checkOomEvents', CHECKS) }),
  dependencies: unsupported('Sensu Classic check dependencies.', { t: 'string-list' }),
  issuetype: unsupported('Ticket issue type.', { t: 'string' }),
  check_that_every_day_has_a_successful_run: bool('(jobs) CRITICAL when the job had no succeeded run in the last 24 hours.', {
    default: false,
    ...acts('checkEveryDay', 'services/monitor-bridge/src/checks/job-checks.service.ts'),
  }),
  page_for_expected_runtime: bool('(jobs) Page when a run passes its expected_runtime (Orzo raises a WARNING that never pages).', { default: false }),
  error_threshold_ratio: num('(smartstack monitoring) error ratio that alerts.', { min: 0, max: 1, default: 0.01 }),
  minimum_error_rps: num('(smartstack monitoring) requests/s below which errors do not alert.', { min: 0, default: 5 }),
};

/** The same keys, none acted on (e.g. the monitoring of jobs, which nothing reads yet). */
function validatedOnly(table: KeyTable): KeyTable {
  return Object.fromEntries(
    Object.entries(table).map(([k, d]) => {
      if (d.support !== 'acted') return [k, d];
      const { use: _u, ...rest } = d;
      return [k, { ...rest, support: 'validated' }];
    }),
  );
}

/** The monitoring block of a tron job: PaaSTA's closed list (not acted on: jobs' alerts are not sent yet). */
const TRON_MONITORING: KeyTable = (() => {
  const { error_threshold_ratio: _e, minimum_error_rps: _m, check_every: _c, ...rest } = validatedOnly(MONITORING_KEYS);
  return { ...rest, realert_every: int('Re-alert period in check runs; -1 = exponential backoff.', { min: -1, default: -1 }) };
})();

/** The monitoring block of a smartstack namespace (error and timeout alerting). */
const SMARTSTACK_MONITORING: KeyTable = {
  team: str('Team alerted.'),
  slack_channel: str('Slack channel.'),
  project: str('Ticket project.'),
  ticket: bool('Open tickets.'),
  page: bool('Page.'),
  page_nonprod: bool('Page for non-production.'),
  error_threshold_ratio: num('Error ratio that alerts.', { min: 0, max: 1 }),
  minimum_error_rps: num('Requests/s below which errors do not alert.', { min: 0 }),
  timeout_threshold_ratio: num('Timeout ratio that alerts.', { min: 0, max: 1 }),
  timeout_alerting: bool('Alert on timeouts.'),
  timeout_page: bool('Page on timeouts.'),
  timeout_ticket: bool('Ticket on timeouts.'),
  default_endpoint_alerting: bool('Alert per endpoint by default.'),
  endpoint_error_threshold_ratio: num('Per-endpoint error ratio.', { min: 0, max: 1 }),
  endpoint_minimum_error_rps: num('Per-endpoint minimum requests/s.', { min: 0 }),
  endpoints: { type: { t: 'list', of: { t: 'map', open: true } }, description: 'Per-endpoint settings ({name, ...}).' },
};

export const SERVICE_KEYS: KeyTable = {
  description: str('What the service does (PaaSTA requires it, Orzo does not).', acts('description', 'cli/src/soa-commands.ts')),
  external_link: str("A link to the service's home page (PaaSTA requires it, Orzo does not)."),
  git_url: {
    type: { t: 'oneof', of: [{ t: 'string' }, { t: 'null' }] },
    description: 'Where the code lives (a git URL or a local repository path).',
    ...acts('gitUrl', 'services/builder/src/build-requested.handler.ts'),
  },
  docker_registry: str("Registry for this service's images (default: the system registry).", {
    orzoOnly: true,
    ...acts('registryOf', 'services/control-api/src/soa/soa-config.source.ts'),
  }),
  cost_owner: str('Who pays.', { pattern: COST_OWNER, patternHint: 'a-z, 0-9 and -', maxLength: 63 }),
  needs_puppet_help: unsupported('Yelp puppet flag.', { t: 'boolean' }),
  monitoring: map('Service-wide monitoring defaults (below monitoring.yaml).', MONITORING_KEYS, { unknown: 'warning', ...acts('team', ALERT_SERVICE) }),
  deploy: unsupported('Historical deploy settings.'),
  smartstack: unsupported('Historical smartstack settings (use smartstack.yaml).'),
  owner: str('Owning team or person.', { orzoOnly: true }),
};

const HEALTH_PARAMS: KeyTable = {
  min_task_uptime: num(
    'Seconds a new replica must have run before it counts as happy (the bounce drains no old replica for it and the deploy does not complete before).',
    { min: 0, ...acts('minTaskUptimeSeconds', RECONCILER) },
  ),
  check_haproxy: bool(
    'Require the replica to be UP in discovery (what HAProxy routes to) for each registration with a proxy_port to count as happy; false: its health check is enough.',
    { default: true, ...acts('skipHaproxyCheck', RECONCILER) },
  ),
  haproxy_min_fraction_up: num('Fraction of HAProxies that must see the replica UP.', { min: 0, max: 1, exclusiveMin: true }),
};

const LIFECYCLE: KeyTable = {
  pre_stop_command: {
    type: STRING_OR_STRINGS,
    description:
      'Command run in the replica (docker exec; a string under /bin/sh -c) after the drain, before SIGTERM, for at most the grace period; a failure is logged and the stop goes on. Not run on swarm clusters.',
    ...acts('preStopCommand', RECONCILER),
  },
  pre_stop_drain_seconds: int(
    "Seconds to sleep after the pre-stop command, before SIGTERM (unset: 0 here; PaaSTA sleeps 30 in the mesh, Orzo's drain delay covers that).",
    { min: 0, ...acts('preStopDrainSeconds', RECONCILER) },
  ),
  pre_stop_wait_for_connections_to_complete: bool('Wait until no connection is open on the container port.'),
  termination_grace_period_seconds: int('Seconds between SIGTERM and SIGKILL.', { min: 0, default: 30, ...acts('terminationGracePeriodSeconds', RECONCILER) }),
};

const SIDECAR_RESOURCES: KeyTable = (() => {
  const amounts: KeyTable = {
    cpu: num('CPUs.', { min: 0 }),
    memory: str('Memory (Kubernetes quantity, e.g. 1024m).'),
    'ephemeral-storage': str('Ephemeral storage (Kubernetes quantity).'),
  };
  const one = map('Requests and limits of the sidecar.', { requests: map('Requests.', amounts), limits: map('Limits.', amounts) }, { unknown: 'allow' });
  return { hacheck: one };
})();

/** One metrics provider of `autoscaling.metrics_providers` (PaaSTA's autoscaling_schema.json). */
export const METRICS_PROVIDER_KEYS: KeyTable = {
  type: str('Metric scaled on.', {
    enum: ['uwsgi', 'uwsgi-v2', 'cpu', 'memory', 'piscina', 'gunicorn', 'active-requests', 'arbitrary-promql', 'worker-load'],
  }),
  decision_policy: str('Decision policy (bespoke: an external autoscaler).'),
  desired_active_requests_per_replica: num('Target for active-requests.'),
  setpoint: num('Target utilisation.'),
  max_instances_alert_threshold: num('Alert threshold near max_instances.'),
  forecast_policy: str('Forecast policy.', { enum: ['moving_average', 'current'] }),
  moving_average_window_seconds: int('Moving average window.', { min: 60 }),
  metrics_query: str('PromQL (arbitrary-promql).'),
  series_query: str('PromQL series (arbitrary-promql).'),
  target_type: str('HPA target type.', { enum: ['Value', 'AverageValue'], default: 'AverageValue' }),
  resources: map('HPA resources.', { overrides: map('Overrides.'), template: str('Template.') }),
};

export const AUTOSCALING_KEYS: KeyTable = {
  metrics_providers: list('Metrics to scale on.', METRICS_PROVIDER_KEYS),
  scaledown_policies: map('HPA scale-down policies.'),
};

/** Keys an instance of a long-running (kubernetes-, eks-, marathon-<cluster>.yaml) file takes. */
export const LONG_RUNNING_KEYS: KeyTable = {
  cpus: num('CPUs reserved and limited (Docker NanoCpus).', { min: 0, exclusiveMin: true, default: 1, ...acts('cpus', DOCKER) }),
  cpu_burst_add: num("CPUs a replica may burst above `cpus`: its Docker CPU limit is cpus + cpu_burst_add, at most the host's CPUs (swarm clusters: cpus).", {
    min: 0,
    default: 1,
    ...acts('cpuBurstAdd', DOCKER),
  }),
  mem: num('Memory limit in MB; exceeding it is an OOM kill.', { min: 32, default: 4096, ...acts('memMb', DOCKER) }),
  disk: num(
    "Disk in MB. Long-running instances: a replica's writable layer is limited to it where Docker's storage driver can (--storage-opt size: overlay2 on xfs with pquota; learnt at the first start), else it is only given as PAASTA_RESOURCE_DISK / ORZO_RESOURCE_DISK.",
    { min: 0, exclusiveMin: true, default: 1024, ...acts('diskMb', DOCKER) },
  ),
  gpus: unsupported('GPUs.', { t: 'integer', min: 0 }),
  env: envKey(acts('env', DOCKER)),
  instances: int('Replicas to run (clamped to min_instances..max_instances when max_instances is set).', {
    min: 0,
    default: 1,
    ...acts('replicas', RECONCILER),
  }),
  min_instances: int('Lower bound of instances and of `orzo scale` overrides.', { min: 0, default: 1, ...acts('min', AUTOSCALE) }),
  max_instances: int('Upper bound of instances and of `orzo scale` overrides (Orzo has no metrics autoscaler yet).', {
    min: 0,
    ...acts('autoscaled', AUTOSCALE),
  }),
  cmd: {
    type: STRING_OR_STRINGS,
    description: "Command: a string runs under /bin/sh -c, a list is exec'd directly (needed for signals).",
    ...acts('cmd', DOCKER),
  },
  args: strList("Arguments to the image's entrypoint (not with cmd).", acts('args', DOCKER)),
  container_port: num('Port the container listens on (bind $PAASTA_PORT / $ORZO_PORT).', {
    min: 1,
    max: 65535,
    default: 8888,
    ...acts('containerPort', DOCKER),
  }),
  registrations: {
    type: { t: 'string-list', pattern: /^[a-z0-9][a-z0-9_-]*\.[a-z0-9][a-z0-9_-]*$/, patternHint: 'service.namespace', unique: true },
    description: 'Discovery registrations (service.namespace).',
    default: ['<service>.<instance>'],
    ...acts('registrations', DISCOVERY),
  },
  nerve_ns: str('Old alias: registrations = [<service>.<nerve_ns>].', { orzoOnly: true, ...acts('registrations', DISCOVERY) }),
  weight: int(
    'Share of traffic per replica in its registrations: the HAProxy server weight of its replicas (relative to the other instances of the namespace).',
    { min: 1, default: 10, ...acts('weight', 'services/discovery-publisher/src/haproxy/slot-plan.ts') },
  ),
  bounce_method: str('How a new version replaces the old (upthendown: an Orzo extension).', {
    enum: ['crossover', 'brutal', 'downthenup', 'upthendown'],
    default: 'crossover',
    ...acts('method', RECONCILER),
  }),
  bounce_margin_factor: num('Fraction of replicas that must stay up during a bounce.', { min: 0, max: 1, default: 0.95, ...acts('marginFactor', BOUNCE) }),
  bounce_overprovision_factor: num(
    'During a crossover, at most ceil(instances × factor) replicas run beyond instances (Kubernetes maxSurge, as PaaSTA sets it); 1: every new replica at once (eks- files in PaaSTA).',
    { min: 0.25, max: 1, default: 1, ...acts('overprovisionFactor', BOUNCE) },
  ),
  bounce_health_params: map('When a new replica counts as happy.', HEALTH_PARAMS, { unknown: 'allow' }),
  bounce_start_deadline: num(
    "PaaSTA deployd's queue priority (seconds added to the deadline of a changed instance). Validated only: Orzo reconciles each instance in its own queue, with nothing to order.",
    { min: 0, orzoOnly: true },
  ),
  bounce_priority: int('Order of bounces (higher first).'),
  drain_method: str(
    'How an old replica is drained after it leaves rotation: noop (stopped at once), hacheck (the drain delay), http (drain_method_params.drain called, is_safe_to_kill polled each second for at most the delay). test: as hacheck.',
    { enum: ['noop', 'hacheck', 'http', 'test'], default: 'hacheck in the mesh, else noop', ...acts('drainMethod', RECONCILER) },
  ),
  drain_method_params: map(
    'Drain parameters: {delay: seconds} for hacheck; drain, stop_draining, is_draining, is_safe_to_kill for http.',
    {
      delay: num('Seconds between out of rotation and SIGTERM.', { min: 0, default: 60, ...acts('drainDelaySeconds', RECONCILER) }),
      drain: map(
        'http: the request made when the replica leaves rotation: url_format ({host}, {port}, {service}, {instance}, {nerve_ns}), method (GET), success_codes ("200-299").',
        undefined,
        acts('httpDrain', RECONCILER),
      ),
      stop_draining: map('http: PaaSTA calls it to undo a drain; Orzo never undoes one (validated only).'),
      is_draining: map('http: PaaSTA asks it whether a replica drains; validated only.'),
      is_safe_to_kill: map('http: the request polled until it answers one of its success_codes.', undefined, acts('httpDrain', RECONCILER)),
    },
    { unknown: 'allow', ...acts('drainDelaySeconds', RECONCILER) },
  ),
  healthcheck_mode: str('Health check: none unless set or in the mesh.', { enum: ['cmd', 'tcp', 'http', 'https'], ...acts('mode', PROBE) }),
  healthcheck_cmd: str('Command for healthcheck_mode cmd, run inside the container (Docker exec, `/bin/sh -c`) with the check timeout; exit 0 = healthy.', {
    default: '/bin/true',
    ...acts('cmd', PROBE),
  }),
  healthcheck_uri: str('Path for http(s) checks.', { default: '/status', ...acts('uri', PROBE) }),
  healthcheck_grace_period_seconds: num('Failures are not counted for this long after start.', { min: 0, default: 60, ...acts('gracePeriodSeconds', MONITOR) }),
  healthcheck_interval_seconds: num('Seconds between checks.', { min: 0, exclusiveMin: true, default: 10, ...acts('intervalSeconds', MONITOR) }),
  healthcheck_timeout_seconds: num('Seconds before a check counts as failed.', {
    min: 0,
    exclusiveMin: true,
    default: 10,
    ...acts('timeoutSeconds', SB_PROBE),
  }),
  healthcheck_max_consecutive_failures: int(
    'Failures in a row (after the grace period) that make a replica unhealthy: it leaves HAProxy and is replaced (a replacement first, then it is drained).',
    {
      min: 1,
      default: 30,
      ...acts('maxConsecutiveFailures', MONITOR),
    },
  ),
  lifecycle: map('Shutdown behaviour.', LIFECYCLE, { unknown: 'allow', ...acts('terminationGracePeriodSeconds', RECONCILER) }),
  replication_threshold: int('Percent of replicas that must be healthy before the replication check alerts.', {
    min: 0,
    default: 50,
    ...acts('replicationThreshold', CHECKS),
  }),
  monitoring: map('Overrides monitoring.yaml for this instance.', MONITORING_KEYS, { unknown: 'warning', ...acts('team', ALERT_SERVICE) }),
  deploy_group: str('Deploy group whose version this instance runs ({cluster}, {instance}, {service} are interpolated).', {
    default: '<cluster>.<instance>',
    ...acts('deployGroup', 'services/control-api/src/status/status.service.ts'),
  }),
  backoff_seconds: num(
    'Crash restart backoff: the first crash restarts at once; from the second in a row the next start waits this long, doubling per crash, at most 300 s (reset by a deploy or 10 minutes without a crash). Changing it never bounces.',
    { min: 0, exclusiveMin: true, default: 10, orzoOnly: true, ...acts('backoffSeconds', RECONCILER) },
  ),
  autoscaling: map('Autoscaler settings (metrics_providers, scaledown_policies).', AUTOSCALING_KEYS),
  sfn_autoscaling: unsupported('Step-function autoscaling.', { t: 'map', open: true }),
  pool: str('Pool of hosts to run on (a swarm node label).', { default: 'default', ...acts('pool', SWARM) }),
  cost_owner: str('Who pays (eks- files in PaaSTA).', { pattern: COST_OWNER, patternHint: 'a-z, 0-9 and -', maxLength: 63 }),
  namespace: unsupported('Kubernetes namespace.', { t: 'string', pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, patternHint: 'a Kubernetes name', maxLength: 63 }),
  deploy_whitelist: unsupported('Placement whitelist.', { t: 'list' }),
  deploy_blacklist: unsupported('Placement blacklist.', { t: 'list' }),
  monitoring_blacklist: unsupported('Monitoring blacklist.', { t: 'list' }),
  node_selectors: unsupported('Node selectors.', { t: 'map', open: true }),
  node_selectors_preferred: unsupported('Preferred node selectors.', OBJECTS),
  anti_affinity: unsupported('Anti-affinity rules.', { t: 'oneof', of: [{ t: 'map', open: true }, OBJECTS] }),
  anti_affinity_preferred: unsupported('Preferred anti-affinity rules.', { t: 'oneof', of: [{ t: 'map', open: true }, OBJECTS] }),
  topology_spread_constraints: unsupported('Topology spread constraints.', OBJECTS),
  secret_volumes: unsupported('Secret volumes.', OBJECTS),
  extra_volumes: unsupported('Extra volumes.', OBJECTS),
  aws_ebs_volumes: unsupported('EBS volumes.', OBJECTS),
  persistent_volumes: unsupported('Persistent volumes (StatefulSet).', OBJECTS),
  projected_sa_volumes: unsupported('Projected service-account volumes.', OBJECTS),
  constraints: unsupported('Marathon constraints.', LISTS),
  extra_constraints: unsupported('Marathon constraints.', LISTS),
  backoff_factor: unsupported('Marathon backoff factor.', { t: 'integer' }),
  max_launch_delay_seconds: unsupported('Marathon launch delay.', { t: 'integer' }),
  cfs_period_us: unsupported('CFS period.', { t: 'integer', min: 1000, max: 1000000 }),
  host_port: unsupported('Host port.', { t: 'integer', min: 0, max: 65535 }),
  extra_docker_args: unsupported('Extra docker run arguments.', { t: 'string-map' }),
  cap_add: unsupported('Linux capabilities.', { t: 'string-list' }),
  iam_role: unsupported('IAM role.', { t: 'string', pattern: /^arn:aws:iam::[0-9]+:role\/[a-zA-Z0-9+=,.@_-]+$/, patternHint: 'an IAM role ARN' }),
  iam_role_provider: unsupported('IAM role provider.', { t: 'string', enum: ['aws'] }),
  fs_group: unsupported('fsGroup.', { t: 'integer' }),
  fs_group_change_policy: unsupported('fsGroupChangePolicy (needs fs_group).', { t: 'string', enum: ['Always', 'OnRootMismatch'] }),
  service_account_name: unsupported('Service account (not with iam_role).', { t: 'string' }),
  boto_keys: unsupported('Boto keys.', { t: 'string-list' }),
  crypto_keys: unsupported('Crypto keys.', { t: 'map', keys: { encrypt: strList('Keys to encrypt with.'), decrypt: strList('Keys to decrypt with.') } }),
  datastore_credentials: unsupported('Datastore credentials.', { t: 'map', keys: { mysql: strList('MySQL clusters.') } }),
  ssm_secrets: unsupported('AWS Parameter Store secrets (eks- files in PaaSTA).', OBJECTS),
  dependencies_reference: unsupported('Dependencies reference.', { t: 'string' }),
  sidecar_resource_requirements: unsupported('Resources of the hacheck sidecar.', { t: 'map', keys: SIDECAR_RESOURCES }),
  prometheus_shard: unsupported('Prometheus shard.', { t: 'string' }),
  prometheus_port: unsupported('Prometheus scrape port.', { t: 'integer', min: 0 }),
  prometheus_path: unsupported('Prometheus scrape path.', { t: 'string' }),
  routable_ip: unsupported('Routable IP.', { t: 'boolean' }),
  enable_aws_lb_readiness_gate: unsupported('AWS load balancer readiness gate.', { t: 'boolean' }),
  pod_management_policy: unsupported('StatefulSet pod management policy.', { t: 'string', enum: ['OrderedReady', 'Parallel'] }),
  is_istio_sidecar_injection_enabled: unsupported('Istio sidecar injection.', { t: 'boolean' }),
  autotune_limits: unsupported('Autotune limits.', { t: 'map', open: true }),
  uses_bulkdata: unsupported('Bulkdata mount.', { t: 'boolean' }),
  net: { ...unsupported('Docker network mode (marathon).', { t: 'string' }), orzoOnly: true },
  horizontal_autoscaling: { ...unsupported('Old autoscaling block (marathon).'), orzoOnly: true },
  marathon_shard: { ...unsupported('Marathon shard.'), orzoOnly: true },
};

const L = LONG_RUNNING_KEYS;

/** adhoc-<cluster>.yaml: one-off instances (PaaSTA's adhoc schema). */
export const ADHOC_KEYS: KeyTable = {
  cpus: num('CPUs.', { min: 0, exclusiveMin: true, default: 1, ...acts('cpus', REMOTE_RUN) }),
  mem: num('Memory limit in MB.', { min: 32, exclusiveMin: true, default: 1024, ...acts('memMb', REMOTE_RUN) }),
  disk: L.disk!,
  gpus: L.gpus!,
  cmd: {
    type: STRING_OR_STRINGS,
    description: "Command (a string under /bin/sh -c; a list, exec'd, is an Orzo extension).",
    ...acts('cmd', REMOTE_RUN),
  },
  args: strList("Arguments to the image's entrypoint.", acts('args', REMOTE_RUN)),
  env: envKey(acts('env', REMOTE_RUN)),
  boto_keys: L.boto_keys!,
  iam_role: unsupported('IAM role.', { t: 'string' }),
  iam_role_provider: L.iam_role_provider!,
  fs_group: L.fs_group!,
  fs_group_change_policy: L.fs_group_change_policy!,
  crypto_keys: L.crypto_keys!,
  secret_volumes: L.secret_volumes!,
  uses_bulkdata: L.uses_bulkdata!,
  extra_volumes: L.extra_volumes!,
  deploy_group: str('Deploy group whose version it runs.', { default: '<cluster>.<instance>', ...acts('deployGroup', REMOTE_RUN) }),
  net: unsupported('Docker network mode.', { t: 'string' }),
  cap_add: L.cap_add!,
  privileged: unsupported('Privileged container.', { t: 'boolean' }),
  cfs_period_us: L.cfs_period_us!,
  cpu_burst_add: num('CPUs it may burst above `cpus`.', { min: 0 }),
  extra_docker_args: L.extra_docker_args!,
  pool: str('Pool of hosts to run on.', { default: 'default' }),
  role: unsupported('Role.', { t: 'string' }),
  namespace: unsupported('Kubernetes namespace.', { t: 'string' }),
  container_port: int('Port the container listens on.'),
  docker_url: unsupported('Image to run instead of the deployed one.', { t: 'string' }),
  node_selectors: L.node_selectors!,
  node_selectors_preferred: L.node_selectors_preferred!,
};

/** PaaSTA's Tron durations ("<n> <unit>") and Orzo's (30s, 10m). */
const TIME_DELTA: ValueType = {
  t: 'oneof',
  of: [
    { t: 'string', pattern: /^\d+\s*(secs?|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?)$/, patternHint: 'a duration like "30s" or "10 minutes"' },
    { t: 'duration' },
  ],
};
const TRON_NAME: ValueType = { t: 'string', pattern: /^[A-Za-z_][\w-]{0,254}$/, patternHint: 'a Tron name (letters, digits, _ and -)' };
const td = (description: string): KeyDef => ({ type: TIME_DELTA, description });

const TRON_ACTION: KeyTable = {
  name: { type: TRON_NAME, description: 'Action name (old list form).' },
  command: str('What the action runs.', { required: true, ...acts('command', JOB_RUNNER) }),
  node: { type: TRON_NAME, description: 'Tron node.', support: 'unsupported' },
  requires: strList(
    'Actions that must succeed first (independent ones run in parallel).',
    acts('requires', 'services/scheduler-bridge/src/jobs/action-plan.ts'),
  ),
  retries: int('Retries on failure.', { min: 0, ...acts('retries', JOB_RUNNER) }),
  retries_delay: { ...td('Delay between retries.'), ...acts('retriesDelaySeconds', JOB_RUNNER) },
  executor: str('How the action runs.', { enum: ['ssh', 'paasta', 'spark'], default: 'paasta' }),
  cpus: num('CPUs.', { min: 0, exclusiveMin: true }),
  cap_add: L.cap_add!,
  mem: num('Memory limit in MB.', { min: 32, exclusiveMin: true }),
  disk: num('Disk in MB.', { min: 0, exclusiveMin: true, default: 4096 }),
  constraints: L.constraints!,
  idempotent: bool('The action can be retried without side effects.', { default: false }),
  extra_constraints: L.extra_constraints!,
  service: str('Service whose image the action runs (default: this one).'),
  deploy_group: str('Deploy group whose version it runs.'),
  cost_owner: L.cost_owner!,
  pool: str('Pool of hosts to run on.'),
  service_account_name: L.service_account_name!,
  iam_role: L.iam_role!,
  iam_role_provider: L.iam_role_provider!,
  node_selectors: L.node_selectors!,
  env: envKey(),
  boto_keys: L.boto_keys!,
  crypto_keys: L.crypto_keys!,
  ssm_secrets: L.ssm_secrets!,
  uses_bulkdata: L.uses_bulkdata!,
  extra_volumes: L.extra_volumes!,
  secret_volumes: L.secret_volumes!,
  projected_sa_volumes: L.projected_sa_volumes!,
  cluster: str('Cluster (default: the file name).'),
  expected_runtime: { ...td("Alert when the action takes longer (default: the job's)."), ...acts('expectedRuntimeSeconds', JOB_RUNNER) },
  triggered_by: strList('Triggers that start it.', { unique: true }),
  trigger_downstreams: { type: { t: 'oneof', of: [{ t: 'string-map' }, { t: 'boolean' }] }, description: 'Triggers it emits.' },
  on_upstream_rerun: str('What to do when an upstream reruns.'),
  trigger_timeout: td('How long to wait for triggers.'),
  aws_credentials: unsupported('AWS credentials file.', { t: 'string' }),
  max_runtime: { ...td("Kill the action after this long (default: the job's)."), ...acts('maxRuntimeSeconds', JOB_RUNNER) },
  force_spark_resource_configs: unsupported('Spark resource override.', { t: 'boolean' }),
  mrjob: unsupported('mrjob action.', { t: 'boolean' }),
  spark_args: unsupported('Spark arguments.', { t: 'map', open: true }),
};

/** A job of tron-<cluster>.yaml. */
export const TRON_JOB_KEYS: KeyTable = {
  name: { type: TRON_NAME, description: 'Job name.' },
  node: { type: TRON_NAME, description: 'Tron node.', support: 'unsupported' },
  schedule: {
    type: { t: 'oneof', of: [{ t: 'string' }, { t: 'map', open: true }] },
    description: 'When the job runs: "cron <5 fields>", "daily HH:MM[:SS] [weekday letters]" or "interval <duration>".',
    required: true,
    ...acts('schedule', JOB_SCHEDULER),
  },
  actions: {
    type: { t: 'oneof', of: [{ t: 'list' }, { t: 'map', open: true }] },
    description: 'Actions by name (or an old list with name keys).',
    required: true,
    ...acts('actions', JOB_RUNNER),
  },
  cluster: str('Cluster (default: the file name).'),
  monitoring: map('Alerting of the job.', TRON_MONITORING),
  queueing: bool('Queue runs that would overlap (false: skip them).', { default: true, ...acts('queueing', JOB_SCHEDULER) }),
  allow_overlap: bool('Let runs overlap.', { default: false, ...acts('allowOverlap', JOB_SCHEDULER) }),
  run_limit: int('Runs kept in history.', { min: 1, default: 50, ...acts('runLimit', 'services/control-api/src/jobs/job-history.service.ts') }),
  all_nodes: unsupported('Run on all nodes.', { t: 'boolean' }),
  cleanup_action: map('Action run after every run.', TRON_ACTION),
  enabled: bool('Whether the job is scheduled (`orzo job enable|disable` overrides it).', { default: true, ...acts('enabled', JOB_SCHEDULER) }),
  max_runtime: { ...td('Kill a run after this long.'), ...acts('maxRuntimeSeconds', JOB_RUNNER) },
  expected_runtime: { ...td('Alert when a run takes longer.'), ...acts('expectedRuntimeSeconds', JOB_RUNNER) },
  time_zone: str('IANA time zone of cron and daily schedules (default UTC).', acts('timeZone', JOB_SCHEDULER)),
  service: str('Service whose image the job runs (default: this one).'),
  deploy_group: str('Deploy group whose version the job runs (PaaSTA: it must be in deploy.yaml).', acts('deployGroup', JOB_RUNNER)),
  cost_owner: L.cost_owner!,
};

export const TRON_ACTION_KEYS = TRON_ACTION;

/** A job of chronos-<cluster>.yaml (historical: PaaSTA has no schema for it any more). */
export const CHRONOS_JOB_KEYS: KeyTable = {
  schedule: str('ISO 8601 repeating interval (R/<start>/<period>) or a cron expression.', { required: true }),
  cmd: str('Command.', { required: true }),
  schedule_time_zone: str('Time zone of the schedule.'),
  cpus: num('CPUs.', { min: 0, exclusiveMin: true, default: 1 }),
  mem: num('Memory limit in MB.', { min: 32, default: 4096 }),
  disk: L.disk!,
  env: envKey(),
  deploy_group: str('Deploy group whose version it runs.'),
  disabled: bool('Whether the job is paused.', { default: false }),
  monitoring: map('Alerting of the job.', validatedOnly(MONITORING_KEYS), { unknown: 'allow' }),
  parents: strList('Jobs this one runs after (instead of a schedule).'),
  retries: int('Retries on failure.', { min: 0 }),
  bounce_method: unsupported('Chronos bounce method.'),
  net: L.net!,
  extra_volumes: L.extra_volumes!,
  constraints: L.constraints!,
};

/** Location types from the most general to the most specific (PaaSTA's advertise/discover). */
export const LOCATION_TYPES = ['ecosystem', 'superregion', 'region', 'habitat'] as const;

/** PaaSTA's proxy_port range; Orzo accepts any port with a warning outside it. */
export const PAASTA_PROXY_PORTS = { min: 19000, max: 21000 };

/** A namespace of smartstack.yaml. */
export const SMARTSTACK_KEYS: KeyTable = {
  proxy_port: {
    type: { t: 'port-or-null' },
    description: `Port of the local HAProxy frontend, unique across all services (null: discovery only). PaaSTA's range is ${PAASTA_PROXY_PORTS.min}-${PAASTA_PROXY_PORTS.max}; Orzo warns outside it.`,
    required: true,
    ...acts('proxyPort', HAPROXY),
  },
  port: unsupported('Port of the service when not registered by PaaSTA.', { t: 'integer', min: 0, max: 65535 }),
  mode: str('Proxy mode.', { enum: ['http', 'https', 'http2', 'tcp'], default: 'http', ...acts('mode', HAPROXY) }),
  healthcheck_uri: str('Path HAProxy and Orzo check.', {
    default: '/status',
    pattern: /^\/[-_0-9a-zA-Z/?&.=]*$/,
    patternHint: 'a path starting with /',
    ...acts('uri', PROBE),
  }),
  healthcheck_mode: str('Check mode (default: the proxy mode).', { enum: ['http', 'https', 'http2', 'tcp'], ...acts('mode', PROBE) }),
  healthcheck_port: int(
    'Container port the health checks of the instances registered in this namespace go to, when not the service port: published beside it (Docker engine; swarm replicas are checked on the service port).',
    { min: 0, max: 65535, ...acts('port', 'services/scheduler-bridge/src/docker-engine.ts') },
  ),
  healthcheck_timeout_s: num('Check timeout in seconds.', { min: 0, max: 10, default: 1 }),
  healthcheck_body_expect: unsupported('Body a check expects.', { t: 'string' }),
  extra_healthcheck_headers: strMap(
    'Headers sent with the http(s) health checks of the instances registered in this namespace (the first registration of an instance decides).',
    acts('headers', PROBE),
  ),
  retries: int('Retries on connection failure.', { min: 0, max: 10, default: 1, ...acts('retries', HAPROXY) }),
  allredisp: unsupported('HAProxy allredisp.', { t: 'boolean' }),
  timeout_connect_ms: int('Connect timeout.', { min: 0, max: 60000, default: 200, ...acts('timeoutConnectMs', HAPROXY) }),
  timeout_server_ms: int('Server timeout.', { min: 0, max: 86400000, default: 1000, ...acts('timeoutServerMs', HAPROXY) }),
  timeout_client_ms: int('Client inactivity timeout of the HAProxy frontend (unset: 30 s here; synapse used 1000).', {
    min: 0,
    max: 86400000,
    ...acts('timeoutClientMs', HAPROXY),
  }),
  idle_timeout: unsupported('Idle timeout (ms).', { t: 'integer', min: 0, max: 86400000 }),
  balance: unsupported('HAProxy balance (leastconn or roundrobin).', { t: 'string', enum: ['leastconn', 'roundrobin'] }),
  lb_policy: str(
    "Load-balancing policy (PaaSTA's Envoy names) as HAProxy balance: ROUND_ROBIN roundrobin, LEAST_REQUEST leastconn, RANDOM random, RING_HASH and MAGLEV source with consistent hashing, CLUSTER_PROVIDED roundrobin.",
    { enum: ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV', 'CLUSTER_PROVIDED'], default: 'ROUND_ROBIN', ...acts('lbPolicy', HAPROXY) },
  ),
  choice_count: unsupported('Envoy least-request choice count.', { t: 'integer', min: 1 }),
  endpoint_timeouts: {
    type: { t: 'map', open: true },
    description:
      'Per-path server timeouts in ms ({"/path": ms}): each path (a prefix, or a regex when it starts with ^) gets its own HAProxy backend with that timeout; HTTP mode only.',
    ...acts('endpointTimeouts', HAPROXY),
  },
  advertise: strList('Location types the namespace is advertised in (Orzo has one level for now: every host routes every namespace).', { default: ['region'] }),
  discover: str('Location type clients discover it in; must be one of advertise (one level in Orzo for now).', { default: 'region' }),
  extra_advertise: { type: { t: 'map', open: true }, description: 'Extra advertisements: {"<type>:<location>": ["<type>:<location>", ...]}.' },
  extra_headers: unsupported('Extra request headers.', { t: 'map', open: true }),
  proxied_through: str('Namespace (service.namespace) this one is proxied through; it must exist.'),
  clb_proxy: unsupported('Namespace (service.namespace) of a CLB proxy; it must exist.', { t: 'string' }),
  chaos: unsupported('Chaos settings.', { t: 'map', open: true }),
  fixed_delay: unsupported('Fixed delays.', { t: 'map', open: true }),
  is_proxy: unsupported('Proxy namespace.', { t: 'boolean' }),
  plugins: unsupported('Synapse plugins.', { t: 'map', open: true }),
  allow_websocket_upgrade: unsupported('Allow WebSocket upgrades.', { t: 'boolean' }),
  vip_upgrade: unsupported('Namespace routed to for X-Ctx-Vip requests.', { t: 'string' }),
  updown_timeout_s: unsupported('hacheck timeout.', { t: 'integer', min: 0, max: 86400000 }),
  monitoring: map('Error and timeout alerting of the namespace.', SMARTSTACK_MONITORING),
  keepalive: { ...unsupported('Keepalive.'), orzoOnly: true },
};

const DEPLOY_STEP: KeyTable = {
  step: str('A deploy group (e.g. prod.main) or a build step (itest, security-check, push-to-registry, performance-check).', acts('pipeline', PIPELINE)),
  parallel: {
    type: { t: 'list' },
    description:
      'Steps marked together; the next step waits until every one of them is deployed. Options of the block (trigger_next_step_manually, wait_for_deployment, timeout, disabled, auto_rollback) apply to its steps that do not set them.',
    ...acts('parallelGroup', PIPELINE),
  },
  trigger_next_step_manually: bool('Stop after this step until promoted by hand.', { default: false, ...acts('triggerNextStepManually', PIPELINE) }),
  wait_for_deployment: bool('Wait for the deploy to complete before the next step; false: the next step is marked right after this one.', {
    default: true,
    ...acts('waitForDeployment', PIPELINE),
  }),
  timeout: int(
    'Seconds the deploy of this group may take: past it the pipeline fails (history: failed, timed out) and, with auto_rollback, the group goes back to its previous version.',
    acts('timeoutSeconds', PIPELINE),
  ),
  warn: int('Seconds after which waiting warns.'),
  auto_rollback: bool(
    'When a deploy of this group fails (not converged within the deploy timeout, replicas that never pass their health check, or a crash loop), mark the previous version again and mark the failed sha bad; history says why. Also per mark: mark-for-deployment --auto-rollback.',
    { default: false, ...acts('autoRollback', 'services/control-api/src/deploys/mark.service.ts') },
  ),
  auto_certify_delay: int('Seconds before certifying automatically.'),
  auto_abandon_delay: int('Seconds before abandoning.'),
  auto_rollback_delay: int('Seconds before rolling back.'),
  confirmation_required: bool('Ask before deploying.'),
  display_step_for_confirmation: bool('Show the step when asking.'),
  disabled: bool('Skip the step: a deploy group is not deployed, a command not run (history: skip).', { default: false, ...acts('disabled', PIPELINE) }),
  ignore_failure: bool('A non-deploy step run after a deploy group that fails does not stop the pipeline (history: step failed, goes on).', {
    default: false,
    ...acts('ignoreFailure', PIPELINE),
  }),
  notify_after_mark: unsupported('Slack notification.', { t: 'boolean' }),
  notify_after_good_deploy: unsupported('Slack notification.', { t: 'boolean' }),
  notify_after_auto_rollback: unsupported('Slack notification.', { t: 'boolean' }),
  notify_after_abort: unsupported('Slack notification.', { t: 'boolean' }),
  deployment_steps: unsupported('Progressive deployment steps.', OBJECTS),
  abandon_above_breakage_pct: unsupported('Breakage that abandons.', { t: 'number' }),
  complete_below_breakage_pct: unsupported('Breakage below which it completes.', { t: 'number' }),
  prompt_after_abandon: unsupported('Prompt after abandoning.', { t: 'boolean' }),
  confirm_complete: unsupported('Confirm completion.', { t: 'boolean' }),
  enable_automated_redeploys: bool('Redeploy automatically.'),
  alertmanager_rollback: bool('Roll back on Alertmanager alerts.'),
  alertmanager_rollback_dry_run: bool('Only log Alertmanager rollbacks.'),
  alertmanager_poll_interval_s: int('Seconds between Alertmanager polls.', { min: 30 }),
  enable_crashloop_auto_rollback: bool('Roll back on crash loops.'),
  min_restarts_for_crashloop_rollback: int('Restarts that count as a crash loop.', { default: 2 }),
  crashloop_rollback_percentage_threshold: num('Share of crash-looping replicas that rolls back.', { min: 0, max: 1, default: 1 }),
  service_account: unsupported('Service account of the step.', { t: 'string' }),
  slack_notify: unsupported('Slack notifications.', { t: 'boolean' }),
  command: str(
    'Command (sh -c, in a checkout of the commit, DOCKER_TAG/ORZO_IMAGE and GIT_SHA set) of a non-deploy step: before the first deploy group the builder runs it with the build; after one, a builder runs it when the groups before it are deployed and the pipeline waits for it (in a parallel block: not waited for). Without one the step is recorded as skipped.',
    acts('command', 'services/builder/src/build-queue.ts'),
  ),
};

export const DEPLOY_STEP_KEYS = DEPLOY_STEP;

export const DEPLOY_KEYS: KeyTable = {
  pipeline: {
    type: { t: 'list', items: DEPLOY_STEP },
    description: 'The ordered steps a version goes through.',
    required: true,
    ...acts('pipeline', PIPELINE),
  },
  allowed_push_groups: strList('Groups allowed to deploy.'),
  production_deploy_group: str('The deploy group that is production.'),
  slack_channels: strList('Slack channels notified of deploys.'),
  slack_notify: unsupported('Slack notifications.', { t: 'boolean' }),
  allow_no_verify_deploy: bool('Allow deploys that skip verification.'),
  default_deploy_strategy: str('Default wait strategy.', { enum: ['verify', 'no-verify'] }),
};

const SIGNALFX_CONDITION: KeyTable = {
  query: str('The query (one datapoint).', { required: true }),
  upper_bound: { type: { t: 'oneof', of: [{ t: 'number' }, { t: 'null' }] }, description: 'Roll back above this.' },
  lower_bound: { type: { t: 'oneof', of: [{ t: 'number' }, { t: 'null' }] }, description: 'Roll back below this.' },
  dry_run: bool('Only log.'),
};

/** rollback-<...>.yaml: metric-based automatic rollbacks (PaaSTA's rollback schema). */
export const ROLLBACK_KEYS: KeyTable = {
  conditions: map('Queries that decide a rollback (each needs upper_bound or lower_bound).', {
    signalfx: list('SignalFlow conditions.', SIGNALFX_CONDITION),
    prometheus: list('PromQL conditions.', SIGNALFX_CONDITION),
    splunk: list('Splunk conditions.', SIGNALFX_CONDITION),
  }),
  enable_slo_rollback: bool('Use the legacy SLO-based rollbacks.', { default: true }),
  allowed_failing_queries: int('Queries allowed to fail before a rollback.', { default: 0 }),
  rollback_window_s: int('Seconds queries run for.'),
  check_interval_s: int('Seconds between query runs.'),
};

export const SYSTEM_DEFAULT_KEYS = LONG_RUNNING_KEYS;
export const anyKey = any;
