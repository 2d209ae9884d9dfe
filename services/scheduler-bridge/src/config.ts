import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

/** The variables scheduler-bridge reads besides the base ones. */
export const schedulerBridgeConfigShape = {
  /** Clusters whose instances this bridge runs (comma-separated). */
  ORZO_SCHEDULER_CLUSTERS: z.string().min(1).default('local'),
  ORZO_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** A deploy that has not converged after this long is reported failed (it keeps converging). */
  ORZO_DEPLOY_TIMEOUT_S: z.coerce.number().int().min(1).default(600),
  /** A deploy whose new replicas exited this many times before it completed is reported failed (a crash loop). */
  ORZO_CRASHLOOP_EXITS: z.coerce.number().int().min(1).default(3),
  /** orzo.yaml, for each cluster's engine (`clusters.<name>.engine`, `docker_host`); default ./orzo.yaml if present. */
  ORZO_CONFIG: z.string().min(1).optional(),
};

export type SchedulerBridgeConfig = ServiceConfig<typeof schedulerBridgeConfigShape>;

/** The clusters this bridge runs, from ORZO_SCHEDULER_CLUSTERS. */
export function schedulerClusters(config: SchedulerBridgeConfig): string[] {
  return config.ORZO_SCHEDULER_CLUSTERS.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
}
