/** How unknown keys of a mapping are judged: PaaSTA rejects them (error) unless its schema leaves the mapping open. */
export type UnknownKeys = 'error' | 'warning' | 'allow';

/** The type of a soa-configs value, as validated and as published in the JSON Schemas. */
export type ValueType =
  | { t: 'string'; enum?: readonly string[]; pattern?: RegExp; patternHint?: string; maxLength?: number }
  | { t: 'number'; min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }
  | { t: 'integer'; min?: number; max?: number }
  | { t: 'boolean' }
  | { t: 'duration' }
  | { t: 'string-list'; pattern?: RegExp; patternHint?: string; unique?: boolean }
  | { t: 'string-map'; keyPattern?: RegExp; keyHint?: string }
  | { t: 'string-or-list' }
  | { t: 'map'; keys?: KeyTable; open?: boolean; unknown?: UnknownKeys }
  | { t: 'list'; items?: KeyTable; of?: ValueType }
  | { t: 'any' }
  | { t: 'null' }
  | { t: 'port-or-null'; min?: number; max?: number }
  | { t: 'oneof'; of: readonly ValueType[] };

/**
 * What Orzo does with a key, as docs/soa-configs.md says it:
 * - acted: Orzo acts on it; `use` names the compiled property and a file outside libs/soa-config
 *   that reads it (a test checks that file still does);
 * - validated: checked as PaaSTA checks it, but nothing in Orzo acts on it (yet);
 * - unsupported: PaaSTA's, for infrastructure Orzo does not have (AWS, Kubernetes scheduling...):
 *   accepted and checked so PaaSTA trees load, never acted on.
 */
export type Support = 'acted' | 'validated' | 'unsupported';

export interface KeyUse {
  /** The compiled property (CompiledInstance, CompiledJob, PipelineStep... or the proto field it becomes). */
  prop: string;
  /** A file (from the repository root), outside libs/soa-config, that reads `.prop`. */
  in: string;
}

export interface KeyDef {
  type: ValueType;
  description: string;
  /** The default Orzo applies (documentation and JSON Schema `default`). */
  default?: unknown;
  required?: boolean;
  /** Default 'validated'. */
  support?: Support;
  /** For acted keys: who reads it. */
  use?: KeyUse;
  /** Not in PaaSTA's schema for this file: an Orzo extension (PaaSTA would reject it). */
  orzoOnly?: boolean;
}

export type KeyTable = Readonly<Record<string, KeyDef>>;

/** `...acts('memMb', 'services/x/src/y.ts')` in a key's options: the key is acted on, and that file reads it. */
export const acts = (prop: string, file: string): Pick<KeyDef, 'support' | 'use'> => ({ support: 'acted', use: { prop, in: file } });

/** The support status of a key (validated when not said). */
export const supportOf = (d: KeyDef): Support => d.support ?? 'validated';

type Extra = Partial<KeyDef>;

export const str = (
  description: string,
  extra: Extra & { enum?: readonly string[]; pattern?: RegExp; patternHint?: string; maxLength?: number } = {},
): KeyDef => ({
  type: { t: 'string', enum: extra.enum, pattern: extra.pattern, patternHint: extra.patternHint, maxLength: extra.maxLength },
  description,
  ...omit(extra, 'enum', 'pattern', 'patternHint', 'maxLength'),
});
export const num = (description: string, extra: Extra & { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): KeyDef => ({
  type: { t: 'number', min: extra.min, max: extra.max, exclusiveMin: extra.exclusiveMin, exclusiveMax: extra.exclusiveMax },
  description,
  ...omit(extra, 'min', 'max', 'exclusiveMin', 'exclusiveMax'),
});
export const int = (description: string, extra: Extra & { min?: number; max?: number } = {}): KeyDef => ({
  type: { t: 'integer', min: extra.min, max: extra.max },
  description,
  ...omit(extra, 'min', 'max'),
});
export const bool = (description: string, extra: Extra = {}): KeyDef => ({ type: { t: 'boolean' }, description, ...extra });
export const duration = (description: string, extra: Extra = {}): KeyDef => ({ type: { t: 'duration' }, description, ...extra });
export const strList = (description: string, extra: Extra & { unique?: boolean; pattern?: RegExp; patternHint?: string } = {}): KeyDef => ({
  type: { t: 'string-list', unique: extra.unique, pattern: extra.pattern, patternHint: extra.patternHint },
  description,
  ...omit(extra, 'unique', 'pattern', 'patternHint'),
});
export const strMap = (description: string, extra: Extra & { keyPattern?: RegExp; keyHint?: string } = {}): KeyDef => ({
  type: { t: 'string-map', keyPattern: extra.keyPattern, keyHint: extra.keyHint },
  description,
  ...omit(extra, 'keyPattern', 'keyHint'),
});
/** A mapping: with keys, unknown ones are errors (PaaSTA's additionalProperties: false) unless `unknown` says otherwise. */
export const map = (description: string, keys?: KeyTable, extra: Extra & { unknown?: UnknownKeys } = {}): KeyDef => ({
  type: { t: 'map', keys, open: !keys, unknown: extra.unknown },
  description,
  ...omit(extra, 'unknown'),
});
export const list = (description: string, items?: KeyTable | ValueType, extra: Extra = {}): KeyDef => ({
  type:
    items && 't' in items && typeof (items as ValueType).t === 'string'
      ? { t: 'list', of: items as ValueType }
      : { t: 'list', items: items as KeyTable | undefined },
  description,
  ...extra,
});
export const any = (description: string, extra: Extra = {}): KeyDef => ({ type: { t: 'any' }, description, ...extra });
/** PaaSTA's, for infrastructure Orzo does not have: accepted and type-checked, never acted on. */
export const unsupported = (description: string, type: ValueType = { t: 'any' }): KeyDef => ({ type, description, support: 'unsupported' });

function omit<T extends object>(o: T, ...keys: string[]): Partial<KeyDef> {
  const copy = { ...o } as Record<string, unknown>;
  for (const k of keys) delete copy[k];
  return copy as Partial<KeyDef>;
}
