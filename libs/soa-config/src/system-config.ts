import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigProblem } from './problems';
import { KeyTable, bool, map, str, strList } from './schema/key';
import { LONG_RUNNING_KEYS } from './schema/tables';
import { ValidationContext, isMapping, validateMapping } from './schema/validate';
import { YamlSource, parseYaml, readYaml } from './yaml-source';

export type Engine = 'docker' | 'swarm' | 'kubernetes';

/** One cluster of orzo.yaml: its engine, and where that engine answers. */
export interface ClusterConfig {
  engine: Engine;
  /**
   * The Engine API of the cluster: unix:///path.sock or tcp://host:port (a swarm manager for
   * `swarm`); unset = DOCKER_HOST of the scheduler-bridge, else /var/run/docker.sock.
   */
  dockerHost?: string;
}

export interface SystemConfig {
  /** The file read, if any. */
  file?: string;
  soaDir: string;
  clusters: Record<string, ClusterConfig>;
  /**
   * Whether the clusters were configured (orzo.yaml `clusters:` or ORZO_CLUSTERS). When not,
   * the clusters of a soa-configs tree are the ones its file names mention (PaaSTA's
   * list_clusters) and `clusters` holds only the default `local`.
   */
  clustersConfigured?: boolean;
  /** Image registry host[:port][/path]; empty = images stay local (no push). */
  registry: string;
  natsUrl: string;
  databaseUrl?: string;
  /** Instance keys applied below every soa-configs instance (e.g. a smaller default mem). */
  defaults: Record<string, unknown>;
  /** Where monitor-bridge sends alerts (each sink optional, several at once). */
  alerts: AlertSinksConfig;
  /** control-api's gRPC listener: TLS files (absolute paths) and the plaintext escape hatch. */
  api: ApiListenerConfig;
  /** secrets.key_file: the key of control-api's secret store (resolved path). */
  secretKeyFile?: string;
}

export interface ApiListenerConfig {
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  allowPlaintext: boolean;
}

/** The alert sinks of orzo.yaml `alerts:` (environment variables override them in monitor-bridge). */
export interface AlertSinksConfig {
  alertmanager?: { url: string };
  sensu?: { url: string; apiKey?: string; namespace?: string; handlers?: string[] };
  webhook?: { url: string; secret?: string };
}

const ALERT_SINK_KEYS: KeyTable = {
  alertmanager: map('Prometheus Alertmanager (API v2).', { url: str('Base URL, e.g. http://127.0.0.1:9093.', { required: true }) }),
  sensu: map('Sensu Go backend (events API).', {
    url: str('Backend API URL, e.g. http://sensu:8080.', { required: true }),
    api_key: str('API key (sent as Authorization: Key <key>).'),
    namespace: str('Sensu namespace.', { default: 'default' }),
    handlers: strList('Handlers of each event.', { default: ['default'] }),
  }),
  webhook: map('A generic webhook, signed with HMAC-SHA256 (X-Orzo-Signature-256).', {
    url: str('URL the alerts are POSTed to.', { required: true }),
    secret: str('HMAC key of the signature.'),
  }),
};

export const SYSTEM_KEYS: KeyTable = {
  soa_dir: str('Root of the soa-configs tree (one directory per service).', { default: './soa-configs' }),
  clusters: map(
    "Clusters by name, each {engine: docker | swarm | kubernetes, docker_host}. `docker_host` is the Engine API of the cluster (unix:///path.sock or tcp://host:port; for swarm, a manager's), default DOCKER_HOST of scheduler-bridge. kubernetes is accepted here but refused by scheduler-bridge (no backend yet).",
    undefined,
    { default: { local: { engine: 'docker' } } },
  ),
  registry: str('Image registry to push to (empty: images stay on the local engine).', { default: '' }),
  nats_url: str('NATS server(s).', { default: 'nats://127.0.0.1:4222' }),
  database_url: str('Database of the services (default: SQLite files under the data dir).'),
  defaults: map('Instance keys applied below every instance (same keys as kubernetes-<cluster>.yaml).', LONG_RUNNING_KEYS),
  alerts: map('Where monitor-bridge sends alerts: alertmanager, sensu, webhook (each optional).', ALERT_SINK_KEYS),
  api: map('The gRPC API of control-api: TLS and who may listen in plaintext.', {
    tls_cert: str('Server certificate chain (PEM file, relative to orzo.yaml). With tls_key, the API speaks TLS only.'),
    tls_key: str('Private key of tls_cert (PEM file).'),
    client_ca: str('CA (PEM file) that signs client certificates: set, every client must present one (mutual TLS).'),
    allow_plaintext: bool('Listen without TLS on an address that is not loopback (refused otherwise).', { default: false }),
  }),
  secrets: map("control-api's secret store (SECRET(name) in env).", {
    key_file: str(
      'File (relative to orzo.yaml) holding the 256-bit key secrets are encrypted with, base64 or hex; ORZO_SECRET_KEY / ORZO_SECRET_KEY_FILE override it.',
    ),
  }),
};

const ENGINES: readonly Engine[] = ['docker', 'swarm', 'kubernetes'];
const DOCKER_HOST = /^(unix:\/\/\/.+|tcp:\/\/[^/:]+:\d+\/?)$/;

export interface SystemConfigResult {
  config: SystemConfig;
  problems: ConfigProblem[];
}

/**
 * The system config: `orzo.yaml` (path from ORZO_CONFIG, else `<tree>/orzo.yaml` for a tree
 * given on the command line, else ./orzo.yaml if present), then
 * environment overrides ORZO_SOA_DIR, ORZO_CLUSTERS ("local,prod=kubernetes"), ORZO_REGISTRY,
 * ORZO_NATS_URL, ORZO_DB_URL. With no file at all it is a working local default: cluster
 * `local` on the Docker engine, no registry.
 */
export function loadSystemConfig(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string; tree?: string } = {}): SystemConfigResult {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env.ORZO_CONFIG;
  // `tree`: a soa-configs tree given on the command line; an orzo.yaml at its root describes it.
  const ofTree = !explicit && options.tree && existsSync(resolve(cwd, options.tree, 'orzo.yaml')) ? resolve(cwd, options.tree, 'orzo.yaml') : undefined;
  const file = explicit ? resolve(cwd, explicit) : (ofTree ?? (existsSync(resolve(cwd, 'orzo.yaml')) ? resolve(cwd, 'orzo.yaml') : undefined));
  const src: YamlSource = file ? readYaml(file) : parseYaml('(defaults)', '{}');
  const problems = [...src.problems];
  const ctx: ValidationContext = { src, problems };
  const data = src.data ?? {};
  if (file && src.problems.length === 0) validateMapping(ctx, data, SYSTEM_KEYS, [], 'orzo.yaml');
  const raw = isMapping(data) ? data : {};

  const clusters: Record<string, ClusterConfig> = {};
  if (isMapping(raw.clusters)) {
    for (const [name, c] of Object.entries(raw.clusters)) {
      const engine = isMapping(c) ? c.engine : undefined;
      const dockerHost = isMapping(c) ? c.docker_host : undefined;
      if (dockerHost !== undefined && (typeof dockerHost !== 'string' || !DOCKER_HOST.test(dockerHost))) {
        const { line, column } = src.locate(['clusters', name, 'docker_host']);
        problems.push({
          file: src.file,
          line,
          column,
          path: `clusters.${name}.docker_host`,
          message: 'not an Engine API address',
          expected: 'unix:///path/to/docker.sock or tcp://host:port',
          found: String(dockerHost),
          severity: 'error',
        });
      }
      if (engine !== undefined && !ENGINES.includes(engine as Engine)) {
        const { line, column } = src.locate(['clusters', name, 'engine']);
        problems.push({
          file: src.file,
          line,
          column,
          path: `clusters.${name}.engine`,
          message: 'unknown engine',
          expected: ENGINES.join(', '),
          found: String(engine),
          severity: 'error',
        });
      }
      clusters[name] = {
        engine: (ENGINES.includes(engine as Engine) ? engine : 'docker') as Engine,
        ...(typeof dockerHost === 'string' && DOCKER_HOST.test(dockerHost) ? { dockerHost } : {}),
      };
    }
  } else {
    clusters.local = { engine: 'docker' };
  }
  if (env.ORZO_CLUSTERS) {
    for (const k of Object.keys(clusters)) delete clusters[k];
    for (const item of env.ORZO_CLUSTERS.split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [name, engine = 'docker'] = item.split('=');
      if (!ENGINES.includes(engine as Engine))
        problems.push({
          file: 'ORZO_CLUSTERS',
          line: 0,
          column: 0,
          path: name!,
          message: 'unknown engine',
          expected: ENGINES.join(', '),
          found: engine,
          severity: 'error',
        });
      clusters[name!] = { engine: (ENGINES.includes(engine as Engine) ? engine : 'docker') as Engine };
    }
  }
  const text = (key: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  const config: SystemConfig = {
    file,
    soaDir:
      ofTree && !env.ORZO_SOA_DIR
        ? resolve(cwd, options.tree!)
        : resolve(file ? resolve(file, '..') : cwd, env.ORZO_SOA_DIR ?? text('soa_dir') ?? './soa-configs'),
    clusters,
    clustersConfigured: isMapping(raw.clusters) || !!env.ORZO_CLUSTERS,
    registry: env.ORZO_REGISTRY ?? text('registry') ?? '',
    natsUrl: env.ORZO_NATS_URL ?? text('nats_url') ?? 'nats://127.0.0.1:4222',
    databaseUrl: env.ORZO_DB_URL ?? text('database_url'),
    defaults: isMapping(raw.defaults) ? raw.defaults : {},
    alerts: alertSinksOf(raw.alerts),
    api: apiListener(isMapping(raw.api) ? raw.api : {}, file ? resolve(file, '..') : cwd),
    secretKeyFile: secretKeyFile(isMapping(raw.secrets) ? raw.secrets : {}, file ? resolve(file, '..') : cwd),
  };
  return { config, problems };
}

function alertSinksOf(raw: unknown): AlertSinksConfig {
  if (!isMapping(raw)) return {};
  const text = (m: Record<string, unknown>, k: string) => (typeof m[k] === 'string' ? (m[k] as string) : undefined);
  const out: AlertSinksConfig = {};
  const am = isMapping(raw.alertmanager) ? raw.alertmanager : undefined;
  if (am && text(am, 'url')) out.alertmanager = { url: text(am, 'url')! };
  const sensu = isMapping(raw.sensu) ? raw.sensu : undefined;
  if (sensu && text(sensu, 'url'))
    out.sensu = {
      url: text(sensu, 'url')!,
      apiKey: text(sensu, 'api_key'),
      namespace: text(sensu, 'namespace'),
      handlers: Array.isArray(sensu.handlers) ? sensu.handlers.filter((h): h is string => typeof h === 'string') : undefined,
    };
  const hook = isMapping(raw.webhook) ? raw.webhook : undefined;
  if (hook && text(hook, 'url')) out.webhook = { url: text(hook, 'url')!, secret: text(hook, 'secret') };
  return out;
}

/** secrets.key_file of orzo.yaml, resolved against its directory. */
function secretKeyFile(raw: Record<string, unknown>, dir: string): string | undefined {
  return typeof raw.key_file === 'string' && raw.key_file ? resolve(dir, raw.key_file) : undefined;
}

/** api: of orzo.yaml, its files resolved against the directory of orzo.yaml. */
function apiListener(raw: Record<string, unknown>, dir: string): ApiListenerConfig {
  const path = (key: string) => (typeof raw[key] === 'string' && raw[key] ? resolve(dir, raw[key] as string) : undefined);
  return { tlsCert: path('tls_cert'), tlsKey: path('tls_key'), clientCa: path('client_ca'), allowPlaintext: raw.allow_plaintext === true };
}
