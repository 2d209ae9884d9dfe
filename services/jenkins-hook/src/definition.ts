import { orzoService } from '@orzo/runtime';
import { jenkinsHookConfigShape } from './config';
import { JenkinsHookModule } from './jenkins-hook.module';
import { M20261125JenkinsHook } from './persistence/m20261125-jenkins-hook';
import { DIALECT_MIGRATIONS } from './persistence/migrations';
import { HookDeliverySchema } from './persistence/hook-delivery.entity';

export const jenkinsHook = orzoService({
  service: 'jenkins-hook',
  httpPort: 7102,
  configShape: jenkinsHookConfigShape,
  entities: [HookDeliverySchema],
  migrations: [{ name: 'M20261125JenkinsHook', class: M20261125JenkinsHook }],
  dialectMigrations: DIALECT_MIGRATIONS,
  module: () => JenkinsHookModule,
});
