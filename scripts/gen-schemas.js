#!/usr/bin/env node
// Writes schemas/*.schema.json (for editors) and docs/soa-configs.md from the soa-config key
// tables, so the validator, the schemas and the reference never disagree. Run after a build.
'use strict';
const { mkdirSync, writeFileSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { jsonSchemas, renderSoaConfigsReference } = require('../libs/soa-config/dist/src');

const root = join(__dirname, '..');
const dir = join(root, 'schemas');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.schema.json')) rmSync(join(dir, f));
const schemas = jsonSchemas();
for (const [name, schema] of Object.entries(schemas)) writeFileSync(join(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
writeFileSync(join(root, 'docs', 'soa-configs.md'), renderSoaConfigsReference());
process.stdout.write(`wrote ${Object.keys(schemas).length} schemas to schemas/ and docs/soa-configs.md\n`);
