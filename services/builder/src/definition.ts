import { orzoService } from '@orzo/runtime';
import { BuilderModule } from './builder.module';
import { builderConfigShape } from './config';
import { M20261125Builder } from './persistence/m20261125-builder';
import { DIALECT_MIGRATIONS } from './persistence/migrations';
import { BuildSchema } from './persistence/build.entity';

export const builder = orzoService({
  service: 'builder',
  httpPort: 7101,
  configShape: builderConfigShape,
  entities: [BuildSchema],
  migrations: [{ name: 'M20261125Builder', class: M20261125Builder }],
  dialectMigrations: DIALECT_MIGRATIONS,
  module: () => BuilderModule,
});
