import { join } from 'node:path';
import { z } from 'zod';

/** Raised when a service's environment does not validate; lists every bad variable. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`${service}: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const natsUrl = z
  .string()
  .min(1)
  .refine((v) => v.split(',').every((u) => /^(nats|tls|ws|wss):\/\/[^\s/]+$|^[^\s/:]+:\d+$/.test(u.trim())), {
    message: 'expected nats://host:port (comma-separated for a cluster)',
  });

const dbUrl = z.string().regex(/^(sqlite:\/\/.+|postgres(ql)?:\/\/.+)$/, 'expected sqlite:///path/to/file.db or postgres://user@host:port/db');

/** The variables every Orzo service reads. */
export function baseConfigSchema(defaultHttpPort: number) {
  return {
    ORZO_NATS_URL: natsUrl.default('nats://127.0.0.1:4222'),
    ORZO_DATA_DIR: z
      .string()
      .min(1)
      .default(join(process.cwd(), '.orzo', 'data')),
    /** Empty = an SQLite file <ORZO_DATA_DIR>/<service>.db */
    ORZO_DB_URL: dbUrl.optional(),
    /** PostgreSQL schema of this service; empty = the service name with _ for -. */
    ORZO_DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lowercase SQL identifier')
      .optional(),
    ORZO_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    ORZO_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(defaultHttpPort),
    ORZO_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  };
}

export type BaseConfig = z.infer<z.ZodObject<ReturnType<typeof baseConfigSchema>>>;

/**
 * The config a service is given (SERVICE_CONFIG): the base variables plus its own shape, both
 * inferred from their zod schemas, so no hand-written interface can drift from what is validated.
 */
export type ServiceConfig<S extends z.ZodRawShape = Record<string, never>> = BaseConfig & z.infer<z.ZodObject<S>>;

/**
 * Validates `env` against `shape`. Unknown variables are ignored (the environment holds
 * much else); empty strings count as unset, so `ORZO_X=` falls back to the default.
 */
export function loadConfig<S extends z.ZodRawShape>(service: string, shape: S, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = z.object(shape).safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '(root)');
    const got = input[key] === undefined ? 'unset' : JSON.stringify(input[key]);
    return `${key}: ${issue.message} (got ${got})`;
  });
  throw new ConfigError(service, problems);
}

/** The database URL a service uses: ORZO_DB_URL, or its own SQLite file in the data dir. */
export function databaseUrl(service: string, config: Pick<BaseConfig, 'ORZO_DB_URL' | 'ORZO_DATA_DIR'>): string {
  return config.ORZO_DB_URL ?? `sqlite://${join(config.ORZO_DATA_DIR, `${service}.db`)}`;
}

export function databaseSchema(service: string, config: Pick<BaseConfig, 'ORZO_DB_SCHEMA'>): string {
  return config.ORZO_DB_SCHEMA ?? `orzo_${service.replace(/-/g, '_')}`;
}
