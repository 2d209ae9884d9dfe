import { orzoService } from '@orzo/runtime';
import { BuilderModule } from './builder.module';
import { builderConfigShape } from './config';
import { M20261125Builder } from './persistence/m20261125-builder';

export const builder = orzoService({
  service: 'builder',
  httpPort: 7101,
  configShape: builderConfigShape,
  migrations: [{ name: 'M20261125Builder', class: M20261125Builder }],
  module: () => BuilderModule,
});
