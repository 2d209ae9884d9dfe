import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as suite, it } from 'node:test';
import {
  ADHOC_KEYS,
  AUTOSCALING_KEYS,
  CHRONOS_JOB_KEYS,
  DEPLOY_KEYS,
  DEPLOY_STEP_KEYS,
  KeyDef,
  KeyTable,
  LONG_RUNNING_KEYS,
  MONITORING_KEYS,
  ROLLBACK_KEYS,
  SERVICE_KEYS,
  SMARTSTACK_KEYS,
  TRON_ACTION_KEYS,
  TRON_JOB_KEYS,
  renderSoaConfigsReference,
  supportOf,
} from '../src';

const repoRoot = join(__dirname, '..', '..', '..', '..');

const FILES: Record<string, KeyTable> = {
  'kubernetes-<cluster>.yaml': LONG_RUNNING_KEYS,
  'adhoc-<cluster>.yaml': ADHOC_KEYS,
  'tron-<cluster>.yaml': TRON_JOB_KEYS,
  'tron action': TRON_ACTION_KEYS,
  'chronos-<cluster>.yaml': CHRONOS_JOB_KEYS,
  'smartstack.yaml': SMARTSTACK_KEYS,
  'monitoring.yaml': MONITORING_KEYS,
  'service.yaml': SERVICE_KEYS,
  'deploy.yaml': DEPLOY_KEYS,
  'deploy.yaml step': DEPLOY_STEP_KEYS,
  'rollback.yaml': ROLLBACK_KEYS,
  autoscaling: AUTOSCALING_KEYS,
};

/** Every key of every table, nested keys as parent.key. */
function allKeys(): Array<[string, KeyDef]> {
  const out: Array<[string, KeyDef]> = [];
  const walk = (file: string, prefix: string, table: KeyTable, depth: number) => {
    for (const [k, d] of Object.entries(table)) {
      out.push([`${file}: ${prefix}${k}`, d]);
      if (d.type.t === 'map' && d.type.keys && depth < 4) walk(file, `${prefix}${k}.`, d.type.keys, depth + 1);
      if (d.type.t === 'list' && d.type.items && depth < 4) walk(file, `${prefix}${k}[].`, d.type.items, depth + 1);
    }
  };
  for (const [file, table] of Object.entries(FILES)) walk(file, '', table, 0);
  return out;
}

/** Files that only copy compiled fields into the proto spec: reading a field there acts on nothing. */
const PASS_THROUGH = ['services/control-api/src/deploys/instance-spec.ts'];

suite('what the docs say Orzo does with each key', () => {
  it('every key documented as acted on has a reader outside libs/soa-config', () => {
    const wrong: string[] = [];
    const cache = new Map<string, string>();
    for (const [key, d] of allKeys()) {
      if (supportOf(d) !== 'acted') continue;
      if (!d.use) {
        wrong.push(`${key}: acted, but no use (which compiled property, read where)`);
        continue;
      }
      const file = d.use.in;
      if (file.startsWith('libs/soa-config/') || file.startsWith('libs/contracts/') || PASS_THROUGH.includes(file) || /\.(spec|int-spec)\.ts$/.test(file)) {
        wrong.push(`${key}: ${file} is not a consumer (the config library, the contracts, a pass-through or a test)`);
        continue;
      }
      const path = join(repoRoot, file);
      if (!existsSync(path)) {
        wrong.push(`${key}: ${file} does not exist`);
        continue;
      }
      let text = cache.get(path);
      if (text === undefined) cache.set(path, (text = readFileSync(path, 'utf8')));
      if (!new RegExp(`\\.${d.use.prop}\\b`).test(text)) wrong.push(`${key}: ${file} does not read .${d.use.prop}`);
    }
    assert.deepEqual(wrong, [], `keys documented as acted on without a consumer (mark them validated, or fix use):\n${wrong.join('\n')}`);
  });

  it('every compiled property named as acted on exists in the compiled output', () => {
    const compiled = ['compile.ts', 'soa-configs.ts', 'service-reader.ts']
      .map((f) => readFileSync(join(repoRoot, 'libs', 'soa-config', 'src', f), 'utf8'))
      .join('\n');
    const missing = allKeys()
      .filter(([, d]) => d.use && !new RegExp(`\\b${d.use.prop}\\b`).test(compiled))
      .map(([k, d]) => `${k}: ${d.use!.prop}`);
    assert.deepEqual(missing, []);
  });

  it('docs/soa-configs.md gives every key its support', () => {
    const doc = renderSoaConfigsReference();
    for (const [key] of allKeys()) {
      const name = key.split(': ')[1]!;
      // Nested tables documented in their own section appear under their own names.
      const own = name.split('.').slice(-1)[0]!;
      if (name.includes('[]') || name.split('.').length > 3) continue; // lists and deep nesting: described in words
      assert.ok(doc.includes(`| \`${name}\``) || new RegExp(`\\| \`[\\w.-]*\\b${own}\` `).test(doc), `${key} is not in the reference`);
    }
    for (const text of ['acted on by Orzo', 'validated only (PaaSTA compatibility)', 'not supported']) assert.ok(doc.includes(`| ${text}`), text);
  });
});
