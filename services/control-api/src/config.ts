import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

export const CONTROL_API_GRPC_PORT = 50051;

/** control-api's own variables, beside the base ones every service reads. */
export const controlApiConfigShape = {
  ORZO_GRPC_HOST: z.string().min(1).default('127.0.0.1'),
  ORZO_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(CONTROL_API_GRPC_PORT),
  /** Root of the soa-configs tree; default: soa_dir of orzo.yaml. */
  ORZO_SOA_DIR: z.string().min(1).optional(),
  /** Path of orzo.yaml; default ./orzo.yaml when present. */
  ORZO_CONFIG: z.string().min(1).optional(),
};

/** What SERVICE_CONFIG holds for control-api: the base variables and its own. */
export type ControlApiConfig = ServiceConfig<typeof controlApiConfigShape>;
