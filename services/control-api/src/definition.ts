import { orzoService } from '@orzo/runtime';
import { z } from 'zod';
import { ControlApiModule } from './control-api.module';
import { M20261124ControlApi } from './persistence/m20261124-control-api';
import { M20261125Pipeline } from './persistence/m20261125-pipeline';

export const CONTROL_API_GRPC_PORT = 50051;

export const controlApi = orzoService({
  service: 'control-api',
  httpPort: 7106,
  configShape: {
    ORZO_GRPC_HOST: z.string().min(1).default('127.0.0.1'),
    ORZO_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(CONTROL_API_GRPC_PORT),
    /** Root of the soa-configs tree; default: soa_dir of orzo.yaml. */
    ORZO_SOA_DIR: z.string().min(1).optional(),
    /** Path of orzo.yaml; default ./orzo.yaml when present. */
    ORZO_CONFIG: z.string().min(1).optional(),
  },
  migrations: [
    { name: 'M20261124ControlApi', class: M20261124ControlApi },
    { name: 'M20261125Pipeline', class: M20261125Pipeline },
  ],
  module: () => ControlApiModule,
});
