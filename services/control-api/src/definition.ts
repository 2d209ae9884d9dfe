import { orzoService } from '@orzo/runtime';
import { ApiTokenSchema } from './access/api-token.entity';
import { BuildSchema } from './builds/build.entity';
import { ControlApiModule } from './control-api.module';
import { controlApiConfigShape } from './config';
import { DeployInstanceSchema } from './deploys/deploy-instance.entity';
import { OutboxMessageSchema } from './deploys/outbox-message.entity';
import { DeployMarkSchema } from './history/deploy-mark.entity';
import { HistoryEntrySchema } from './history/history-entry.entity';
import { InstanceStateSchema } from './instance-state/instance-state.entity';
import { JobActionRunSchema, JobOverrideSchema, JobRunSchema } from './jobs/job-run.entity';
import { M20261124ControlApi } from './persistence/m20261124-control-api';
import { M20261125Pipeline } from './persistence/m20261125-pipeline';
import { DIALECT_MIGRATIONS } from './persistence/migrations';
import { PipelineRunSchema } from './pipeline/pipeline-run.entity';
import { RollbackSchema } from './rollback/rollback.entity';
import { InstanceProgressSchema } from './status/instance-progress.entity';
import { InstanceOverrideSchema } from './scaling/instance-override.entity';
import { SecretSchema } from './secrets/secret.entity';
import { ReplicaExitSchema } from './status/replica-exit.entity';
import { ReplicaSchema } from './status/replica.entity';

/** One entity per table the migrations create. */
export const CONTROL_API_ENTITIES = [
  DeployMarkSchema,
  HistoryEntrySchema,
  DeployInstanceSchema,
  OutboxMessageSchema,
  PipelineRunSchema,
  BuildSchema,
  ReplicaSchema,
  InstanceProgressSchema,
  RollbackSchema,
  InstanceStateSchema,
  InstanceOverrideSchema,
  ReplicaExitSchema,
  ApiTokenSchema,
  SecretSchema,
  JobRunSchema,
  JobActionRunSchema,
  JobOverrideSchema,
];

export const CONTROL_API_MIGRATIONS = [
  { name: 'M20261124ControlApi', class: M20261124ControlApi },
  { name: 'M20261125Pipeline', class: M20261125Pipeline },
];

export const controlApi = orzoService({
  service: 'control-api',
  httpPort: 7106,
  configShape: controlApiConfigShape,
  entities: CONTROL_API_ENTITIES,
  migrations: CONTROL_API_MIGRATIONS,
  dialectMigrations: DIALECT_MIGRATIONS,
  module: () => ControlApiModule,
});
