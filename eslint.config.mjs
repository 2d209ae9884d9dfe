import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Who may import whom. A service imports libs only, never another service. */
const depConstraints = [
  {
    sourceTag: 'type:contracts',
    onlyDependOnLibsWithTags: [],
    bannedExternalImports: ['@nestjs/*', '@nats-io/*', '@mikro-orm/*', 'pg', 'better-sqlite3', 'knex'],
  },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:testing'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:testing'] },
  { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:testing'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:testing'] },
  { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:testing'] },
  // The browser app: types of the contracts only (import type), nothing of Node or Nest.
  {
    sourceTag: 'type:web',
    onlyDependOnLibsWithTags: ['type:contracts'],
    bannedExternalImports: ['@nestjs/*', '@nats-io/*', '@mikro-orm/*', '@grpc/*', 'node:*'],
  },
];

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', 'libs/contracts/src/generated/**', '.nx/**', '.orzo/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    // Type-aware rules: a dropped promise is how a reconcile pass or a consumer dies silently.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // One config pattern: a service's config type is inferred from the zod shape in its config.ts
    // (ServiceConfig<typeof shape>), never hand-written beside it; only main.ts imports the
    // definition, which imports the module, so no provider can close a cycle through it.
    files: ['services/*/src/**/*.ts'],
    ignores: ['services/*/src/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/definition'], message: 'import the config type from ./config; only main.ts imports the definition' }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSInterfaceDeclaration[id.name=/Config$/]',
          message: 'infer the config type from its zod shape: ServiceConfig<typeof shape> in config.ts',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
