import { KeyTable, any, bool, duration, int, map, num, paastaOnly, str, strList, strMap } from './key';

/** monitoring.yaml, and the `monitoring:` block of service.yaml and of an instance. */
export const MONITORING_KEYS: KeyTable = {
  team: str('Team that owns the alerts; without one, alerts are dropped (as in PaaSTA).'),
  page: bool('Page the team (true) or only notify (false).', { default: false }),
  ticket: bool('Open a ticket for the alert.', { default: false }),
  runbook: str('URL of the runbook shown in alerts.', { default: 'http://y/paasta-troubleshooting' }),
  tip: str('One line of advice shown in alerts.'),
  notification_email: { type: { t: 'oneof', of: [{ t: 'string' }, { t: 'boolean' }] }, description: 'Where alert emails go (false: none).' },
  slack_channels: strList('Slack channels notified.'),
  irc_channels: strList('IRC channels notified.'),
  project: str('Ticket project.'),
  priority: str('Alert priority.'),
  tags: strList('Tags added to alerts.'),
  component: str('Component named in alerts.'),
  description: str('Description shown in alerts.'),
  alert_after: duration('How long a check must fail before it alerts.', { default: '5m' }),
  realert_every: {
    type: { t: 'oneof', of: [{ t: 'integer', min: -1 }, { t: 'duration' }] },
    description: 'Re-alert period in check runs; -1 = exponential backoff (1, 2, 4, 8...).',
    default: -1,
  },
  check_every: duration('How often checks run.', { default: '1m' }),
  check_oom_events: bool('Alert on OOM kills.', { default: true }),
  dependencies: paastaOnly('Sensu Classic check dependencies.'),
  error_threshold_ratio: num('(smartstack monitoring) error ratio that alerts.', { min: 0, max: 1, default: 0.01 }),
  minimum_error_rps: num('(smartstack monitoring) requests/s below which errors do not alert.', { min: 0, default: 5 }),
};

export const SERVICE_KEYS: KeyTable = {
  description: str('What the service does.'),
  external_link: str("A link to the service's home page."),
  git_url: str('Where the code lives (a git URL or a local repository path).'),
  docker_registry: str("Registry for this service's images (default: the system registry)."),
  cost_owner: str('Who pays.'),
  monitoring: map('Service-wide monitoring defaults (below monitoring.yaml).', MONITORING_KEYS),
  deploy: paastaOnly('Historical deploy settings.'),
  smartstack: paastaOnly('Historical smartstack settings (use smartstack.yaml).'),
  owner: str('Owning team or person.'),
};

const HEALTH_PARAMS: KeyTable = {
  min_task_uptime: num(
    'Seconds a new replica must have run before it counts as happy (the bounce drains no old replica for it and the deploy does not complete before).',
    { min: 0 },
  ),
  check_haproxy: bool(
    'Require the replica to be UP in discovery (what HAProxy routes to) for each registration with a proxy_port to count as happy; false: its health check is enough.',
    { default: true },
  ),
};

const LIFECYCLE: KeyTable = {
  pre_stop_command: {
    type: { t: 'string-or-list' },
    description:
      'Command run in the replica (docker exec; a string under /bin/sh -c) after the drain, before SIGTERM, for at most the grace period; a failure is logged and the stop goes on. Not run on swarm clusters.',
  },
  pre_stop_drain_seconds: num(
    "Seconds to sleep after the pre-stop command, before SIGTERM (unset: 0 here; PaaSTA sleeps 30 in the mesh, Orzo's drain delay covers that).",
    { min: 0 },
  ),
  pre_stop_wait_for_connections_to_complete: bool('Wait until no connection is open on the container port.'),
  termination_grace_period_seconds: num('Seconds between SIGTERM and SIGKILL.', { min: 0, default: 30 }),
};

/** Keys an instance of a long-running (kubernetes-, marathon-, eks-<cluster>.yaml) file takes. */
export const LONG_RUNNING_KEYS: KeyTable = {
  cpus: num('CPUs reserved and limited (Docker NanoCpus).', { min: 0, exclusiveMin: true, default: 1 }),
  cpu_burst_add: num("CPUs a replica may burst above `cpus`: its Docker CPU limit is cpus + cpu_burst_add, at most the host's CPUs (swarm clusters: cpus).", {
    min: 0,
    default: 1,
  }),
  mem: num('Memory limit in MB; exceeding it is an OOM kill.', { min: 0, exclusiveMin: true, default: 4096 }),
  disk: num(
    "Disk in MB. Long-running instances: a replica's writable layer is limited to it where Docker's storage driver can (--storage-opt size: overlay2 on xfs with pquota; learnt at the first start), else it is only given as PAASTA_RESOURCE_DISK / ORZO_RESOURCE_DISK.",
    { min: 0, exclusiveMin: true, default: 1024 },
  ),
  gpus: int('GPUs.', { min: 0 }),
  env: strMap('Environment variables (values are strings: quote numbers). ORZO_* and PAASTA_* are injected beside them.'),
  instances: int('Replicas to run (ignored when max_instances turns autoscaling on).', { min: 0, default: 1 }),
  min_instances: int('Autoscaling floor.', { min: 0, default: 1 }),
  max_instances: int('Autoscaling ceiling; setting it turns autoscaling on.', { min: 1 }),
  cmd: { type: { t: 'string-or-list' }, description: "Command: a string runs under /bin/sh -c, a list is exec'd directly (needed for signals)." },
  args: strList("Arguments to the image's entrypoint (not with cmd)."),
  container_port: int('Port the container listens on (bind $PAASTA_PORT / $ORZO_PORT).', { min: 1, max: 65535, default: 8888 }),
  registrations: {
    type: { t: 'string-list', pattern: /^[a-z0-9][a-z0-9_-]*\.[a-z0-9][a-z0-9_-]*$/, patternHint: 'service.namespace' },
    description: 'Discovery registrations (service.namespace).',
    default: ['<service>.<instance>'],
  },
  nerve_ns: str('Old alias: registrations = [<service>.<nerve_ns>].'),
  weight: int(
    'Share of traffic per replica in its registrations: the HAProxy server weight of its replicas (0-256; relative to the other instances of the namespace).',
    { min: 0, default: 10 },
  ),
  bounce_method: str('How a new version replaces the old.', { enum: ['crossover', 'brutal', 'downthenup', 'upthendown'], default: 'crossover' }),
  bounce_margin_factor: num('Fraction of replicas that must stay up during a bounce.', { min: 0, max: 1, exclusiveMin: true, default: 0.95 }),
  bounce_overprovision_factor: num(
    'During a crossover, at most ceil(instances × factor) replicas run beyond instances (Kubernetes maxSurge, as PaaSTA sets it); 1: every new replica at once.',
    {
      min: 0,
      max: 1,
      exclusiveMin: true,
      default: 1,
    },
  ),
  bounce_health_params: map('When a new replica counts as happy.', HEALTH_PARAMS),
  bounce_start_deadline: num(
    "PaaSTA deployd's queue priority (seconds added to the deadline of a changed instance). Validated only: Orzo reconciles each instance in its own queue, with nothing to order.",
    { min: 0 },
  ),
  bounce_priority: int('Order of bounces (higher first).'),
  drain_method: str(
    'How an old replica is drained after it leaves rotation: noop (stopped at once), hacheck (the drain delay), http (drain_method_params.drain called, is_safe_to_kill polled each second for at most the delay). test: as hacheck.',
    { enum: ['noop', 'hacheck', 'http', 'test'], default: 'hacheck in the mesh, else noop' },
  ),
  drain_method_params: map('Drain parameters, e.g. {delay: 60}.', {
    delay: num('Seconds between out of rotation and SIGTERM (hacheck; the most http waits for is_safe_to_kill).', { min: 0, default: 60 }),
    drain: map(
      'http: the request made when the replica leaves rotation: url_format ({host}, {port}, {service}, {instance}, {nerve_ns}), method (GET), success_codes ("200-299").',
    ),
    is_safe_to_kill: map('http: the request polled until it answers one of its success_codes.'),
    stop_draining: map('http: PaaSTA calls it to undo a drain; Orzo never undoes one (validated only).'),
    is_draining: map('http: PaaSTA asks it whether a replica drains; validated only.'),
  }),
  healthcheck_mode: str('Health check: none unless set or in the mesh.', { enum: ['cmd', 'tcp', 'http', 'https'] }),
  healthcheck_cmd: str('Command for healthcheck_mode cmd (exit 0 = healthy).'),
  healthcheck_uri: str('Path for http(s) checks.', { default: '/status' }),
  healthcheck_grace_period_seconds: num('Failures are not counted for this long after start.', { min: 0, default: 60 }),
  healthcheck_interval_seconds: num('Seconds between checks.', { min: 0, exclusiveMin: true, default: 10 }),
  healthcheck_timeout_seconds: num('Seconds before a check counts as failed.', { min: 0, exclusiveMin: true, default: 10 }),
  healthcheck_max_consecutive_failures: int('Failures in a row that make a replica unhealthy.', { min: 1, default: 30 }),
  lifecycle: map('Shutdown behaviour.', LIFECYCLE),
  replication_threshold: num('Percent of replicas that must be healthy before the replication check alerts.', { min: 0, max: 100, default: 50 }),
  monitoring: map('Overrides monitoring.yaml for this instance.', MONITORING_KEYS),
  deploy_group: str('Deploy group whose version this instance runs ({cluster}, {instance}, {service} are interpolated).', { default: '<cluster>.<instance>' }),
  backoff_seconds: num('Delay before restarting a crashed replica.', { min: 0 }),
  autoscaling: map('Autoscaler settings (metrics_providers, setpoint, ...).'),
  namespace: paastaOnly('Kubernetes namespace.', { t: 'string' }),
  pool: str('Pool of hosts to run on.', { default: 'default' }),
  deploy_whitelist: paastaOnly('Placement whitelist.'),
  deploy_blacklist: paastaOnly('Placement blacklist.'),
  node_selectors: paastaOnly('Node selectors.'),
  anti_affinity: paastaOnly('Anti-affinity rules.'),
  topology_spread_constraints: paastaOnly('Topology spread constraints.'),
  secret_volumes: paastaOnly('Secret volumes.'),
  extra_volumes: paastaOnly('Extra volumes.'),
  persistent_volumes: paastaOnly('Persistent volumes (StatefulSet).'),
  constraints: paastaOnly('Marathon constraints.'),
  extra_constraints: paastaOnly('Marathon constraints.'),
  backoff_factor: paastaOnly('Marathon backoff factor.'),
  max_launch_delay_seconds: paastaOnly('Marathon launch delay.'),
  net: paastaOnly('Docker network mode.'),
  extra_docker_args: paastaOnly('Extra docker run arguments.'),
  cap_add: paastaOnly('Linux capabilities.'),
  iam_role: paastaOnly('IAM role.'),
  iam_role_provider: paastaOnly('IAM role provider.'),
  service_account_name: paastaOnly('Service account.'),
  boto_keys: paastaOnly('Boto keys.'),
  crypto_keys: paastaOnly('Crypto keys.'),
  datastore_credentials: paastaOnly('Datastore credentials.'),
  dependencies_reference: paastaOnly('Dependencies reference.'),
  sidecar_resource_requirements: paastaOnly('Sidecar resources.'),
  prometheus_port: paastaOnly('Prometheus scrape port.'),
  prometheus_path: paastaOnly('Prometheus scrape path.'),
  routable_ip: paastaOnly('Routable IP.'),
  uses_bulkdata: paastaOnly('Bulkdata mount.'),
  horizontal_autoscaling: paastaOnly('Old autoscaling block.'),
  marathon_shard: paastaOnly('Marathon shard.'),
  is_istio_sidecar_injection_enabled: paastaOnly('Istio sidecar injection.'),
};

/** adhoc-<cluster>.yaml: one-off instances. */
export const ADHOC_KEYS: KeyTable = {
  cpus: LONG_RUNNING_KEYS.cpus!,
  mem: LONG_RUNNING_KEYS.mem!,
  disk: LONG_RUNNING_KEYS.disk!,
  env: LONG_RUNNING_KEYS.env!,
  cmd: LONG_RUNNING_KEYS.cmd!,
  args: LONG_RUNNING_KEYS.args!,
  deploy_group: LONG_RUNNING_KEYS.deploy_group!,
  pool: LONG_RUNNING_KEYS.pool!,
  net: LONG_RUNNING_KEYS.net!,
  extra_volumes: LONG_RUNNING_KEYS.extra_volumes!,
  monitoring: LONG_RUNNING_KEYS.monitoring!,
};

const TRON_ACTION: KeyTable = {
  command: str('What the action runs.', { required: true }),
  executor: str('How the action runs.', { enum: ['paasta', 'ssh', 'spark'], default: 'paasta' }),
  requires: strList('Actions that must finish first.'),
  retries: int('Retries on failure.', { min: 0 }),
  retries_delay: duration('Delay between retries.'),
  cpus: LONG_RUNNING_KEYS.cpus!,
  mem: LONG_RUNNING_KEYS.mem!,
  disk: LONG_RUNNING_KEYS.disk!,
  env: LONG_RUNNING_KEYS.env!,
  deploy_group: LONG_RUNNING_KEYS.deploy_group!,
  node: str('Tron node.'),
  expected_runtime: duration('Alert when a run takes longer.'),
  extra_volumes: LONG_RUNNING_KEYS.extra_volumes!,
  service: str('Service whose image the action runs (default: this one).'),
  pool: LONG_RUNNING_KEYS.pool!,
  trigger_downstreams: paastaOnly('Tron triggers.'),
  triggered_by: paastaOnly('Tron triggers.'),
  trigger_timeout: paastaOnly('Tron trigger timeout.'),
};

/** A job of tron-<cluster>.yaml. */
export const TRON_JOB_KEYS: KeyTable = {
  schedule: {
    type: { t: 'oneof', of: [{ t: 'string' }, { t: 'map', open: true }] },
    description: 'When the job runs: "cron <5 fields>", "daily HH:MM[:SS]" or "interval <duration>".',
    required: true,
  },
  actions: { type: { t: 'map', open: true }, description: 'Actions by name.', required: true },
  node: str('Tron node.'),
  deploy_group: LONG_RUNNING_KEYS.deploy_group!,
  service: str('Service whose image the job runs (default: this one).'),
  monitoring: LONG_RUNNING_KEYS.monitoring!,
  enabled: bool('Whether the job is scheduled.', { default: true }),
  allow_overlap: bool('Let runs overlap.', { default: false }),
  queueing: bool('Queue runs that would overlap.', { default: true }),
  run_limit: int('Runs kept.', { min: 1 }),
  time_zone: str('Time zone of the schedule.'),
  expected_runtime: duration('Alert when a run takes longer.'),
  cleanup_action: map('Action run after every run.'),
  max_runtime: duration('Kill a run after this long.'),
};

export const TRON_ACTION_KEYS = TRON_ACTION;

/** A job of chronos-<cluster>.yaml (historical). */
export const CHRONOS_JOB_KEYS: KeyTable = {
  schedule: str('ISO 8601 repeating interval (R/<start>/<period>) or a cron expression.', { required: true }),
  cmd: str('Command.', { required: true }),
  schedule_time_zone: str('Time zone of the schedule.'),
  cpus: LONG_RUNNING_KEYS.cpus!,
  mem: LONG_RUNNING_KEYS.mem!,
  disk: LONG_RUNNING_KEYS.disk!,
  env: LONG_RUNNING_KEYS.env!,
  deploy_group: LONG_RUNNING_KEYS.deploy_group!,
  disabled: bool('Whether the job is paused.', { default: false }),
  monitoring: LONG_RUNNING_KEYS.monitoring!,
  parents: strList('Jobs this one runs after (instead of a schedule).'),
  retries: int('Retries on failure.', { min: 0 }),
  bounce_method: paastaOnly('Chronos bounce method.'),
  net: LONG_RUNNING_KEYS.net!,
  extra_volumes: LONG_RUNNING_KEYS.extra_volumes!,
  constraints: LONG_RUNNING_KEYS.constraints!,
};

/** A namespace of smartstack.yaml. */
export const SMARTSTACK_KEYS: KeyTable = {
  proxy_port: {
    type: { t: 'port-or-null' },
    description: 'Port of the local HAProxy frontend, unique across all services (null: discovery only).',
    required: true,
  },
  mode: str('Proxy mode.', { enum: ['http', 'tcp', 'https'], default: 'http' }),
  healthcheck_uri: str('Path HAProxy and Orzo check.', { default: '/status' }),
  healthcheck_mode: str('Check mode (default: the proxy mode).', { enum: ['http', 'tcp', 'https'] }),
  healthcheck_port: int(
    'Container port the health checks of the instances registered in this namespace go to, when not the service port: published beside it (Docker engine; swarm replicas are checked on the service port).',
    { min: 1, max: 65535 },
  ),
  healthcheck_timeout_s: num('Check timeout in seconds.', { min: 0, exclusiveMin: true, default: 1 }),
  extra_healthcheck_headers: strMap(
    'Headers sent with the http(s) health checks of the instances registered in this namespace (the first registration of an instance decides).',
  ),
  retries: int('Retries on connection failure.', { min: 0, default: 1 }),
  timeout_connect_ms: int('HAProxy backend connect timeout.', { min: 1, default: 200 }),
  timeout_server_ms: int('HAProxy backend server timeout.', { min: 1, default: 1000 }),
  timeout_client_ms: int('Client inactivity timeout of the HAProxy frontend (unset: 30 s here; synapse used 1000).', { min: 1 }),
  endpoint_timeouts: map(
    'Per-path server timeouts in ms: each path (a prefix, or a regex when it starts with ^) gets its own HAProxy backend with that timeout; HTTP mode only.',
  ),
  lb_policy: str(
    "Load-balancing policy (PaaSTA's Envoy names) as HAProxy balance: ROUND_ROBIN roundrobin, LEAST_REQUEST leastconn, RANDOM random, RING_HASH and MAGLEV source with consistent hashing, CLUSTER_PROVIDED roundrobin.",
    { default: 'ROUND_ROBIN' },
  ),
  advertise: strList('Location types the namespace is advertised in (Orzo has one level for now: every host routes every namespace).', { default: ['region'] }),
  discover: str('Location type clients discover it in (one level for now, see advertise).', { default: 'region' }),
  extra_advertise: map('Extra advertise locations.'),
  proxied_through: str('Namespace this one is proxied through.'),
  monitoring: map('Error alerting of the namespace.', MONITORING_KEYS),
  is_proxy: paastaOnly('Proxy namespace.'),
  plugins: paastaOnly('Synapse plugins.'),
  keepalive: paastaOnly('Keepalive.'),
  balance: paastaOnly('Old balance setting.'),
  updown_timeout_s: paastaOnly('hacheck timeout.'),
};

const DEPLOY_STEP: KeyTable = {
  step: str('A deploy group (e.g. prod.main) or a build step (itest, security-check, push-to-registry, performance-check).'),
  parallel: {
    type: { t: 'list' },
    description:
      'Steps marked together; the next step waits until every one of them is deployed. Options of the block (trigger_next_step_manually, wait_for_deployment, timeout, disabled, auto_rollback) apply to its steps that do not set them.',
  },
  trigger_next_step_manually: bool('Stop after this step until promoted by hand.', { default: false }),
  wait_for_deployment: bool('Wait for the deploy to complete before the next step; false: the next step is marked right after this one.', { default: true }),
  timeout: duration(
    'How long the deploy of this group may take (seconds, or 10m, 1h): past it the pipeline fails (history: failed, timed out) and, with auto_rollback, the group goes back to its previous version.',
  ),
  warn: duration('Warn when waiting longer.'),
  auto_rollback: bool(
    'When a deploy of this group fails (not converged within the deploy timeout, replicas that never pass their health check, or a crash loop), mark the previous version again and mark the failed sha bad; history says why. Also per mark: mark-for-deployment --auto-rollback.',
    { default: false },
  ),
  auto_certify_delay: duration('Certify automatically after this long.'),
  auto_abandon_delay: duration('Abandon after this long.'),
  auto_rollback_delay: duration('Roll back after this long.'),
  confirmation_required: bool('Ask before deploying.'),
  disabled: bool('Skip the step: a deploy group is not deployed, a command not run (history: skip).', { default: false }),
  ignore_failure: bool('A non-deploy step run after a deploy group that fails does not stop the pipeline (history: step failed, goes on).', { default: false }),
  enable_automated_redeploys: bool('Redeploy automatically.'),
  alertmanager_rollback: bool('Roll back on Alertmanager alerts.'),
  enable_crashloop_auto_rollback: bool('Roll back on crash loops.'),
  min_restarts_for_crashloop_rollback: int('Restarts that count as a crash loop.', { min: 1, default: 2 }),
  crashloop_rollback_percentage_threshold: num('Share of crash-looping replicas that rolls back.', { min: 0, max: 1, default: 1 }),
  slack_notify: paastaOnly('Slack notifications.'),
  command: str(
    'Command (sh -c, in a checkout of the commit, DOCKER_TAG/ORZO_IMAGE and GIT_SHA set) of a non-deploy step: before the first deploy group the builder runs it with the build; after one, a builder runs it when the groups before it are deployed and the pipeline waits for it (in a parallel block: not waited for). Without one the step is recorded as skipped.',
  ),
};

export const DEPLOY_STEP_KEYS = DEPLOY_STEP;

export const DEPLOY_KEYS: KeyTable = {
  pipeline: { type: { t: 'list', items: DEPLOY_STEP }, description: 'The ordered steps a version goes through.', required: true },
  allowed_push_groups: strList('Groups allowed to deploy.'),
  production_deploy_group: str('The deploy group that is production.'),
  slack_channels: strList('Slack channels notified of deploys.'),
  default_deploy_strategy: str('Default wait strategy.', { enum: ['verify', 'no-verify'] }),
  automatic_rollbacks: paastaOnly('Automatic rollbacks.'),
  deploy_timeout: paastaOnly('Deploy timeout.'),
};

export const SYSTEM_DEFAULT_KEYS = LONG_RUNNING_KEYS;
export const anyKey = any;
