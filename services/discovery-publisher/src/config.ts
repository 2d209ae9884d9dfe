import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

/** The variables discovery-publisher reads besides the base ones. */
export const discoveryPublisherConfigShape = {
  ORZO_HAPROXY_BIN: z.string().min(1).default('haproxy'),
  /** Where the HAProxy config and stats socket live; default <ORZO_DATA_DIR>/haproxy. */
  ORZO_HAPROXY_DIR: z.string().min(1).optional(),
};

export type DiscoveryPublisherConfig = ServiceConfig<typeof discoveryPublisherConfigShape>;
