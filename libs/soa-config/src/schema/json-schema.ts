import { KeyDef, KeyTable, UnknownKeys, ValueType, supportOf } from './key';
import {
  CHRONOS_JOB_KEYS,
  DEPLOY_KEYS,
  LONG_RUNNING_KEYS,
  MONITORING_KEYS,
  ROLLBACK_KEYS,
  SERVICE_KEYS,
  SMARTSTACK_KEYS,
  TRON_JOB_KEYS,
  ADHOC_KEYS,
} from './tables';
import { SYSTEM_KEYS } from '../system-config';

type Json = Record<string, unknown>;

function typeSchema(type: ValueType): Json {
  switch (type.t) {
    case 'string':
      return {
        type: 'string',
        ...(type.enum ? { enum: [...type.enum] } : {}),
        ...(type.pattern ? { pattern: type.pattern.source } : {}),
        ...(type.maxLength !== undefined ? { maxLength: type.maxLength } : {}),
      };
    case 'number':
      return {
        type: 'number',
        ...(type.min !== undefined ? (type.exclusiveMin ? { exclusiveMinimum: type.min } : { minimum: type.min }) : {}),
        ...(type.max !== undefined ? (type.exclusiveMax ? { exclusiveMaximum: type.max } : { maximum: type.max }) : {}),
      };
    case 'integer':
      return { type: 'integer', ...(type.min !== undefined ? { minimum: type.min } : {}), ...(type.max !== undefined ? { maximum: type.max } : {}) };
    case 'boolean':
      return { type: 'boolean' };
    case 'duration':
      return {
        oneOf: [
          { type: 'number', minimum: 0 },
          { type: 'string', pattern: '^(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d|D|w|W|M|Y)?\\s*)+$' },
        ],
      };
    case 'string-list':
      return {
        type: 'array',
        items: { type: 'string', ...(type.pattern ? { pattern: type.pattern.source } : {}) },
        ...(type.unique ? { uniqueItems: true } : {}),
      };
    case 'string-map':
      return type.keyPattern
        ? { type: 'object', patternProperties: { [type.keyPattern.source]: { type: 'string' } }, additionalProperties: false }
        : { type: 'object', additionalProperties: { type: 'string' } };
    case 'string-or-list':
      return { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
    case 'map':
      return type.keys ? objectSchema(type.keys, type.unknown) : { type: 'object' };
    case 'list':
      return { type: 'array', ...(type.items ? { items: objectSchema(type.items) } : type.of ? { items: typeSchema(type.of) } : {}) };
    case 'null':
      return { type: 'null' };
    case 'port-or-null':
      return { oneOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'null' }] };
    case 'oneof':
      return { oneOf: type.of.map(typeSchema) };
    case 'any':
      return {};
  }
}

const SUPPORT_NOTE = {
  acted: '',
  validated: ' (validated only, for PaaSTA compatibility: Orzo does not act on it)',
  unsupported: ' (not supported by Orzo: accepted for PaaSTA compatibility, never acted on)',
};

export const supportNote = (def: KeyDef): string => SUPPORT_NOTE[supportOf(def)];

export function objectSchema(table: KeyTable, unknown: UnknownKeys = 'error'): Json {
  const properties: Json = {};
  for (const [key, def] of Object.entries(table)) {
    properties[key] = {
      description: `${def.description}${supportNote(def)}`,
      ...typeSchema(def.type),
      ...(def.default !== undefined ? { default: def.default } : {}),
    };
  }
  const required = Object.entries(table)
    .filter(([, d]) => d.required)
    .map(([k]) => k);
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: unknown !== 'error' };
}

/** A file whose top-level keys are instance (or job, or namespace) names; `_` keys are templates. */
function instancesFile(title: string, table: KeyTable): Json {
  return { title, type: 'object', patternProperties: { '^_': {}, '^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$': objectSchema(table) }, additionalProperties: false };
}

const SCHEMA_ID = 'https://orzo.dev/schemas';

/** The JSON Schema of each soa-configs file kind, by file name under schemas/. */
export function jsonSchemas(): Record<string, Json> {
  const wrap = (name: string, schema: Json): Json => ({ $schema: 'http://json-schema.org/draft-07/schema#', $id: `${SCHEMA_ID}/${name}`, ...schema });
  const files: Record<string, Json> = {
    'service.schema.json': { title: 'service.yaml', ...objectSchema(SERVICE_KEYS, 'warning') },
    'rollback.schema.json': { title: 'rollback-<...>.yaml', ...objectSchema(ROLLBACK_KEYS) },
    'deploy.schema.json': { title: 'deploy.yaml', ...objectSchema(DEPLOY_KEYS) },
    'monitoring.schema.json': { title: 'monitoring.yaml', ...objectSchema(MONITORING_KEYS, 'warning'), required: ['team'] },
    'smartstack.schema.json': instancesFile('smartstack.yaml', SMARTSTACK_KEYS),
    'kubernetes.schema.json': instancesFile('kubernetes-<cluster>.yaml, marathon-<cluster>.yaml, eks-<cluster>.yaml', LONG_RUNNING_KEYS),
    'adhoc.schema.json': instancesFile('adhoc-<cluster>.yaml', ADHOC_KEYS),
    'tron.schema.json': instancesFile('tron-<cluster>.yaml', TRON_JOB_KEYS),
    'chronos.schema.json': instancesFile('chronos-<cluster>.yaml', CHRONOS_JOB_KEYS),
    'orzo.schema.json': { title: 'orzo.yaml (system config)', ...objectSchema(SYSTEM_KEYS) },
  };
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, wrap(k, v)]));
}
