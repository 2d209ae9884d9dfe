import { resolve } from 'node:path';
import { ORZO_DASHBOARD } from '@orzo/contracts';
import { LOG_LEVELS } from '@orzo/platform';
import { z } from 'zod';

/**
 * The dashboard's variables. It has no database and no bus, so it reads none of the base ones
 * but the log level; control-api is found the way the CLI finds it.
 */
export const dashboardConfigShape = {
  ORZO_DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  ORZO_DASHBOARD_PORT: z.coerce.number().int().min(0).max(65535).default(ORZO_DASHBOARD.port),
  /** control-api's gRPC endpoint (host:port); default 127.0.0.1:<ORZO_GRPC_PORT, else 50051>, as `orzo up` runs it. */
  ORZO_CONTROL_API: z
    .string()
    .regex(/^[^\s/]+:\d+$/, 'expected host:port')
    .optional(),
  ORZO_GRPC_PORT: z.coerce.number().int().min(1).max(65535).default(50051),
  /** CA of control-api's TLS certificate: set, the dashboard speaks TLS to it (as the CLI's ORZO_CA). */
  ORZO_CA: z.string().min(1).optional(),
  /** Client certificate and key, for a control-api that wants mutual TLS. */
  ORZO_CLIENT_CERT: z.string().min(1).optional(),
  ORZO_CLIENT_KEY: z.string().min(1).optional(),
  /** The built web app (Vite's output); default web/dist of this checkout. */
  ORZO_DASHBOARD_WEB_DIR: z
    .string()
    .min(1)
    .default(resolve(__dirname, '..', '..', '..', '..', 'web', 'dist')),
  /** Mark the session cookie Secure: set it when users reach the dashboard over HTTPS (a TLS proxy in front). */
  ORZO_DASHBOARD_SECURE_COOKIE: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  ORZO_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
};

export type DashboardConfig = z.infer<z.ZodObject<typeof dashboardConfigShape>>;

/** Where the gateway calls control-api. */
export function controlApiAddress(config: Pick<DashboardConfig, 'ORZO_CONTROL_API' | 'ORZO_GRPC_PORT'>): string {
  return config.ORZO_CONTROL_API ?? `127.0.0.1:${config.ORZO_GRPC_PORT}`;
}
