import { ConfigProblem, didYouMean } from '../problems';
import { parseDuration } from '../parse';
import { KeyPath, YamlSource } from '../yaml-source';
import { KeyTable, UnknownKeys, ValueType } from './key';

export interface ValidationContext {
  src: YamlSource;
  problems: ConfigProblem[];
}

export function problemAt(ctx: ValidationContext, path: KeyPath, message: string, extra: Partial<ConfigProblem> = {}): void {
  const { line, column } = ctx.src.locate(path);
  ctx.problems.push({ file: ctx.src.file, line, column, path: path.join('.'), message, severity: 'error', ...extra });
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return `${typeof value} ${String(value)}`;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const REQUIRED = new WeakMap<KeyTable, string[]>();

function requiredKeys(table: KeyTable): string[] {
  let keys = REQUIRED.get(table);
  if (!keys)
    REQUIRED.set(
      table,
      (keys = Object.entries(table)
        .filter(([, d]) => d.required)
        .map(([k]) => k)),
    );
  return keys;
}

/**
 * Validates a mapping against a key table: required keys, types, and unknown keys (an error with
 * a near-miss suggestion, as PaaSTA's additionalProperties: false; a warning or nothing where
 * PaaSTA's schema leaves the mapping open).
 */
export function validateMapping(ctx: ValidationContext, value: unknown, table: KeyTable, path: KeyPath, what: string, unknown: UnknownKeys = 'error'): void {
  if (!isMapping(value)) {
    problemAt(ctx, path, `${what} must be a mapping`, { expected: 'a mapping of keys', found: describeValue(value) });
    return;
  }
  for (const key of requiredKeys(table)) {
    if (value[key] === undefined) problemAt(ctx, path, `missing required key ${key}`, { hint: table[key]!.description });
  }
  for (const key in value) {
    const def = table[key];
    if (!def) {
      if (unknown !== 'allow') unknownKey(ctx, key, table, path, unknown);
      continue;
    }
    const v = value[key];
    if (!plainValid(v, def.type)) validateValue(ctx, v, def.type, [...path, key]);
  }
}

/** The common valid scalars, checked without building a key path (the validator's hot path). */
function plainValid(v: unknown, type: ValueType): boolean {
  switch (type.t) {
    case 'any':
      return true;
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string' && !type.pattern && type.maxLength === undefined && (!type.enum || type.enum.includes(v));
    case 'number':
      return (
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (type.min === undefined || (type.exclusiveMin ? v > type.min : v >= type.min)) &&
        (type.max === undefined || (type.exclusiveMax ? v < type.max : v <= type.max))
      );
    case 'integer':
      return Number.isInteger(v) && (type.min === undefined || (v as number) >= type.min) && (type.max === undefined || (v as number) <= type.max);
    default:
      return false;
  }
}

function unknownKey(ctx: ValidationContext, key: string, table: KeyTable, path: KeyPath, severity: 'error' | 'warning'): void {
  const suggestion = didYouMean(key, Object.keys(table));
  const open = severity === 'warning' ? ' (PaaSTA accepts unknown keys here)' : '';
  problemAt(ctx, [...path, key], `unknown key ${key}${open}`, {
    found: key,
    expected: suggestion ? undefined : 'a PaaSTA or Orzo key (docs/soa-configs.md)',
    hint: suggestion ? `did you mean ${suggestion}?` : undefined,
    severity,
  });
}

export function validateValue(ctx: ValidationContext, value: unknown, type: ValueType, path: KeyPath): void {
  const wrong = (expected: string, hint?: string) => problemAt(ctx, path, 'wrong type or value', { expected, found: describeValue(value), hint });
  switch (type.t) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') return wrong('a string', typeof value === 'number' || typeof value === 'boolean' ? 'quote it' : undefined);
      if (type.enum && !type.enum.includes(value)) {
        const s = didYouMean(value, type.enum);
        return wrong(`one of ${type.enum.join(', ')}`, s ? `did you mean ${s}?` : undefined);
      }
      if (type.pattern && !type.pattern.test(value)) return wrong(type.patternHint ?? `text matching ${type.pattern}`);
      if (type.maxLength !== undefined && value.length > type.maxLength) return wrong(`at most ${type.maxLength} characters`);
      return;
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return wrong(
          type.t === 'integer' ? 'a whole number' : 'a number',
          typeof value === 'string' && !Number.isNaN(Number(value)) ? 'remove the quotes' : undefined,
        );
      if (type.t === 'integer' && !Number.isInteger(value)) return wrong('a whole number');
      const exclusive = type.t === 'number' && type.exclusiveMin;
      const exclusiveMax = type.t === 'number' && type.exclusiveMax;
      const range = `a number ${type.min !== undefined ? `${exclusive ? '>' : '>='} ${type.min}` : ''}${type.min !== undefined && type.max !== undefined ? ' and ' : ''}${type.max !== undefined ? `${exclusiveMax ? '<' : '<='} ${type.max}` : ''}`;
      if (type.min !== undefined && (exclusive ? value <= type.min : value < type.min)) return wrong(range);
      if (type.max !== undefined && (exclusiveMax ? value >= type.max : value > type.max)) return wrong(range);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean')
        return wrong('true or false', typeof value === 'string' && /^(true|false|yes|no)$/i.test(value) ? 'remove the quotes' : undefined);
      return;
    case 'duration':
      if (parseDuration(value) === null) return wrong('a duration like 30s, 10m, 1h or 1D');
      return;
    case 'null':
      if (value !== null && value !== undefined) return wrong('nothing (null)');
      return;
    case 'port-or-null':
      if (value === null) return;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) return wrong('a port 1-65535, or null for discovery only');
      return;
    case 'string-list': {
      if (!Array.isArray(value)) return wrong('a list of strings');
      const item: ValueType = { t: 'string', pattern: type.pattern, patternHint: type.patternHint };
      for (let i = 0; i < value.length; i++) validateValue(ctx, value[i], item, [...path, i]);
      if (type.unique && new Set(value).size !== value.length) return wrong('a list without repeats');
      return;
    }
    case 'string-or-list':
      if (typeof value === 'string') return;
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return wrong('a string or a list of strings');
      return;
    case 'string-map':
      if (!isMapping(value)) return wrong('a mapping of names to strings');
      for (const k in value) {
        const v = value[k];
        if (type.keyPattern && !type.keyPattern.test(k))
          problemAt(ctx, [...path, k], `bad name ${k}`, { expected: type.keyHint ?? `a name matching ${type.keyPattern}` });
        if (typeof v !== 'string') problemAt(ctx, [...path, k], 'wrong type or value', { expected: 'a string', found: describeValue(v), hint: 'quote it' });
      }
      return;
    case 'map':
      if (!isMapping(value)) return wrong('a mapping');
      if (type.keys) validateMapping(ctx, value, type.keys, path, path.join('.'), type.unknown);
      return;
    case 'list':
      if (!Array.isArray(value)) return wrong('a list');
      if (type.items) value.forEach((item, i) => validateMapping(ctx, item, type.items!, [...path, i], `item ${i + 1}`));
      else if (type.of) value.forEach((item, i) => validateValue(ctx, item, type.of!, [...path, i]));
      return;
    case 'oneof': {
      // A trial only counts problems: it never asks where they are (a position costs a second,
      // position-keeping parse of the file, for a value that is valid in the end).
      const trial: ValidationContext = { src: { ...ctx.src, locate: NOWHERE }, problems: [] };
      for (const option of type.of) {
        trial.problems = [];
        validateValue(trial, value, option, path);
        if (trial.problems.length === 0) return;
      }
      return wrong(type.of.map(describeType).join(' or '));
    }
  }
}

const NOWHERE = () => ({ line: 0, column: 0 });

export function describeType(type: ValueType): string {
  switch (type.t) {
    case 'string':
      return type.enum ? `one of ${type.enum.join(', ')}` : 'a string';
    case 'integer':
      return 'a whole number';
    case 'oneof':
      return type.of.map(describeType).join(' or ');
    case 'port-or-null':
      return 'a port or null';
    case 'null':
      return 'nothing (null)';
    default:
      return `a ${type.t.replace('-', ' ')}`;
  }
}
