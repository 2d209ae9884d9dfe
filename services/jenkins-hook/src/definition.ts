import { orzoService } from '@orzo/runtime';
import { jenkinsHookConfigShape } from './config';
import { JenkinsHookModule } from './jenkins-hook.module';
import { M20261125JenkinsHook } from './persistence/m20261125-jenkins-hook';

export const jenkinsHook = orzoService({
  service: 'jenkins-hook',
  httpPort: 7102,
  configShape: jenkinsHookConfigShape,
  migrations: [{ name: 'M20261125JenkinsHook', class: M20261125JenkinsHook }],
  module: () => JenkinsHookModule,
});
