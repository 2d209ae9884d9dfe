import type { ServiceConfig } from '@orzo/platform';
import { z } from 'zod';

export const CONTROL_API_GRPC_PORT = 50051;

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('')
  .transform((v) => v === 'true' || v === '1');

/** control-api's own variables, beside the base ones every service reads. */
export const controlApiConfigShape = {
  ORZO_GRPC_HOST: z.string().min(1).default('127.0.0.1'),
  ORZO_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(CONTROL_API_GRPC_PORT),
  /** Root of the soa-configs tree; default: soa_dir of orzo.yaml. */
  ORZO_SOA_DIR: z.string().min(1).optional(),
  /** Path of orzo.yaml; default ./orzo.yaml when present. */
  ORZO_CONFIG: z.string().min(1).optional(),
  /**
   * Where the bootstrap admin token is written (mode 0600) when it holds no valid one;
   * default <ORZO_DATA_DIR>/admin-token, where the orzo CLI looks. "none": no bootstrap token.
   */
  ORZO_ADMIN_TOKEN_FILE: z.string().min(1).optional(),
  /** TLS for the gRPC API (PEM files); override api.tls_cert / api.tls_key / api.client_ca of orzo.yaml. */
  ORZO_GRPC_TLS_CERT: z.string().min(1).optional(),
  ORZO_GRPC_TLS_KEY: z.string().min(1).optional(),
  /** With it, clients must present a certificate signed by this CA (mutual TLS). */
  ORZO_GRPC_TLS_CLIENT_CA: z.string().min(1).optional(),
  /** Failed authentications a peer gets per minute before each further failure is answered late (100 ms, doubling to 5 s). */
  ORZO_AUTH_FREE_FAILURES: z.coerce.number().int().min(0).default(5),
  /**
   * The key secrets are encrypted with (AES-256-GCM): 32 bytes, base64 or hex (openssl rand
   * -base64 32). Without it (or ORZO_SECRET_KEY_FILE, or secrets.key_file of orzo.yaml) every
   * secret operation is refused.
   */
  ORZO_SECRET_KEY: z.string().min(1).optional(),
  /** A file holding that key (mode 0600); ORZO_SECRET_KEY wins when both are set. */
  ORZO_SECRET_KEY_FILE: z.string().min(1).optional(),
  /** How often (seconds) the soa-configs tree is read again for changed jobs, republished as job.desired (0: only at start, marks and enable/disable). */
  ORZO_JOBS_REFRESH_SECONDS: z.coerce.number().min(0).default(30),
  /** Listen in plaintext on an address that is not loopback (refused unless this is true). */
  ORZO_GRPC_ALLOW_PLAINTEXT: flag,
  /** How often deploys are checked against their deploy.yaml step `timeout` (ms). */
  ORZO_PIPELINE_TICK_MS: z.coerce.number().int().min(50).default(5_000),
};

/** What SERVICE_CONFIG holds for control-api: the base variables and its own. */
export type ControlApiConfig = ServiceConfig<typeof controlApiConfigShape>;
