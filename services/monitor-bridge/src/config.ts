import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

const url = z.string().url();

/**
 * The variables monitor-bridge reads besides the base ones. The sinks may also come from
 * orzo.yaml `alerts:` (ORZO_CONFIG); a variable set here wins over the file.
 */
export const monitorBridgeConfigShape = {
  ORZO_CONFIG: z.string().min(1).optional(),
  /** Prometheus Alertmanager base URL (API v2), e.g. http://127.0.0.1:9093. */
  ORZO_ALERTMANAGER_URL: url.optional(),
  /** Firing alerts are re-posted this often, with endsAt = now + 4 x this (as Prometheus does). */
  ORZO_ALERTMANAGER_RESEND_S: z.coerce.number().min(0.2).default(60),
  /** Sensu Go backend API URL, e.g. http://sensu:8080. */
  ORZO_SENSU_URL: url.optional(),
  ORZO_SENSU_API_KEY: z.string().min(1).optional(),
  ORZO_SENSU_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'expected a Sensu namespace name')
    .optional(),
  /** Comma-separated Sensu handlers of each event. */
  ORZO_SENSU_HANDLERS: z.string().min(1).optional(),
  /** A generic webhook (chat relays), signed with HMAC-SHA256 over the body. */
  ORZO_ALERT_WEBHOOK_URL: url.optional(),
  ORZO_ALERT_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Cap of the delivery retry backoff (1 s doubling up to this). */
  ORZO_ALERT_RETRY_MAX_S: z.coerce.number().min(0.1).default(60),
  /** Crash loop: this many crashes of an instance's replicas within the window is CRITICAL. */
  ORZO_CRASHLOOP_RESTARTS: z.coerce.number().int().min(1).default(3),
  ORZO_CRASHLOOP_WINDOW_S: z.coerce.number().min(1).default(300),
  /** check_that_every_day_has_a_successful_run: CRITICAL when a job's last success is older than this. */
  ORZO_JOB_SUCCESS_WINDOW_S: z.coerce.number().min(1).default(86_400),
  /** How often that check runs. */
  ORZO_JOB_CHECK_EVERY_S: z.coerce.number().min(0.1).default(60),
};

export type MonitorBridgeConfig = ServiceConfig<typeof monitorBridgeConfigShape>;
