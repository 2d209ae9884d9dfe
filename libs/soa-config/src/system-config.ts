import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigProblem } from './problems';
import { KeyTable, bool, map, str } from './schema/key';
import { LONG_RUNNING_KEYS } from './schema/tables';
import { ValidationContext, isMapping, validateMapping } from './schema/validate';
import { YamlSource, parseYaml, readYaml } from './yaml-source';

export type Engine = 'docker' | 'swarm' | 'kubernetes';

export interface SystemConfig {
  /** The file read, if any. */
  file?: string;
  soaDir: string;
  clusters: Record<string, { engine: Engine }>;
  /** Image registry host[:port][/path]; empty = images stay local (no push). */
  registry: string;
  natsUrl: string;
  databaseUrl?: string;
  /** Instance keys applied below every soa-configs instance (e.g. a smaller default mem). */
  defaults: Record<string, unknown>;
  /** control-api's gRPC listener: TLS files (absolute paths) and the plaintext escape hatch. */
  api: ApiListenerConfig;
}

export interface ApiListenerConfig {
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  allowPlaintext: boolean;
}

export const SYSTEM_KEYS: KeyTable = {
  soa_dir: str('Root of the soa-configs tree (one directory per service).', { default: './soa-configs' }),
  clusters: map('Clusters by name, each {engine: docker | swarm | kubernetes}.', undefined, { default: { local: { engine: 'docker' } } }),
  registry: str('Image registry to push to (empty: images stay on the local engine).', { default: '' }),
  nats_url: str('NATS server(s).', { default: 'nats://127.0.0.1:4222' }),
  database_url: str('Database of the services (default: SQLite files under the data dir).'),
  defaults: map('Instance keys applied below every instance (same keys as kubernetes-<cluster>.yaml).', LONG_RUNNING_KEYS),
  api: map('The gRPC API of control-api: TLS and who may listen in plaintext.', {
    tls_cert: str('Server certificate chain (PEM file, relative to orzo.yaml). With tls_key, the API speaks TLS only.'),
    tls_key: str('Private key of tls_cert (PEM file).'),
    client_ca: str('CA (PEM file) that signs client certificates: set, every client must present one (mutual TLS).'),
    allow_plaintext: bool('Listen without TLS on an address that is not loopback (refused otherwise).', { default: false }),
  }),
};

const ENGINES: readonly Engine[] = ['docker', 'swarm', 'kubernetes'];

export interface SystemConfigResult {
  config: SystemConfig;
  problems: ConfigProblem[];
}

/**
 * The system config: `orzo.yaml` (path from ORZO_CONFIG, else ./orzo.yaml if present), then
 * environment overrides ORZO_SOA_DIR, ORZO_CLUSTERS ("local,prod=kubernetes"), ORZO_REGISTRY,
 * ORZO_NATS_URL, ORZO_DB_URL. With no file at all it is a working local default: cluster
 * `local` on the Docker engine, no registry.
 */
export function loadSystemConfig(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): SystemConfigResult {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env.ORZO_CONFIG;
  const file = explicit ? resolve(cwd, explicit) : existsSync(resolve(cwd, 'orzo.yaml')) ? resolve(cwd, 'orzo.yaml') : undefined;
  const src: YamlSource = file ? readYaml(file) : parseYaml('(defaults)', '{}');
  const problems = [...src.problems];
  const ctx: ValidationContext = { src, problems };
  const data = src.data ?? {};
  if (file && src.problems.length === 0) validateMapping(ctx, data, SYSTEM_KEYS, [], 'orzo.yaml');
  const raw = isMapping(data) ? data : {};

  const clusters: Record<string, { engine: Engine }> = {};
  if (isMapping(raw.clusters)) {
    for (const [name, c] of Object.entries(raw.clusters)) {
      const engine = isMapping(c) ? c.engine : undefined;
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
      clusters[name] = { engine: (ENGINES.includes(engine as Engine) ? engine : 'docker') as Engine };
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
    soaDir: resolve(file ? resolve(file, '..') : cwd, env.ORZO_SOA_DIR ?? text('soa_dir') ?? './soa-configs'),
    clusters,
    registry: env.ORZO_REGISTRY ?? text('registry') ?? '',
    natsUrl: env.ORZO_NATS_URL ?? text('nats_url') ?? 'nats://127.0.0.1:4222',
    databaseUrl: env.ORZO_DB_URL ?? text('database_url'),
    defaults: isMapping(raw.defaults) ? raw.defaults : {},
    api: apiListener(isMapping(raw.api) ? raw.api : {}, file ? resolve(file, '..') : cwd),
  };
  return { config, problems };
}

/** api: of orzo.yaml, its files resolved against the directory of orzo.yaml. */
function apiListener(raw: Record<string, unknown>, dir: string): ApiListenerConfig {
  const path = (key: string) => (typeof raw[key] === 'string' && raw[key] ? resolve(dir, raw[key] as string) : undefined);
  return { tlsCert: path('tls_cert'), tlsKey: path('tls_key'), clientCa: path('client_ca'), allowPlaintext: raw.allow_plaintext === true };
}
