import { runService } from '@orzo/platform';
import { orzoService } from '@orzo/runtime';
import { JenkinsHookModule } from './jenkins-hook.module';

void runService(orzoService({ service: 'jenkins-hook', httpPort: 7102, module: () => JenkinsHookModule }));
