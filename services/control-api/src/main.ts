import { runService } from '@orzo/platform';
import { orzoService } from '@orzo/runtime';
import { ControlApiModule } from './control-api.module';

void runService(orzoService({ service: 'control-api', httpPort: 7106, module: () => ControlApiModule }));
