import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

/** The variables the builder reads besides the base ones. */
export const builderConfigShape = {
  /** Builds run at the same time; the rest wait in the queue. */
  ORZO_BUILD_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** A build still running after this long is cancelled and reported failed. */
  ORZO_BUILD_TIMEOUT_S: z.coerce.number().int().min(1).default(1800),
  /** Repository cache and checkouts; default <ORZO_DATA_DIR>/builder. */
  ORZO_BUILD_WORKSPACE: z.string().min(1).optional(),
  /** Credentials for the registry of orzo.yaml (a registry without auth needs none). */
  ORZO_REGISTRY_USERNAME: z.string().optional(),
  ORZO_REGISTRY_PASSWORD: z.string().optional(),
  ORZO_SOA_DIR: z.string().min(1).optional(),
  ORZO_CONFIG: z.string().min(1).optional(),
};

export type BuilderConfig = ServiceConfig<typeof builderConfigShape>;
