import { runService } from '@orzo/platform';
import { orzoService } from '@orzo/runtime';
import { BuilderModule } from './builder.module';

void runService(orzoService({ service: 'builder', httpPort: 7101, module: () => BuilderModule }));
