import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

/** The variables jenkins-hook reads besides the base ones. */
export const jenkinsHookConfigShape = {
  /** Shared secret every webhook must present; unset = every webhook is refused with 503. */
  ORZO_JENKINS_TOKEN: z.string().min(8, 'use at least 8 characters').optional(),
  /** HMAC-SHA256 secret of POST /v1/webhooks/build; when set, X-Hub-Signature-256 is required. */
  ORZO_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Largest request body accepted (bytes); larger bodies are refused with 413 unread. */
  ORZO_WEBHOOK_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** How long one delivery may wait for NATS before it is refused with 503 (Jenkins times out at 30s). */
  ORZO_WEBHOOK_PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Root of the soa-configs tree; default: soa_dir of orzo.yaml. */
  ORZO_SOA_DIR: z.string().min(1).optional(),
  /** Path of orzo.yaml; default ./orzo.yaml when present. */
  ORZO_CONFIG: z.string().min(1).optional(),
};

export type JenkinsHookConfig = ServiceConfig<typeof jenkinsHookConfigShape>;
