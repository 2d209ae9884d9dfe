/** The type of a soa-configs value, as validated and as published in the JSON Schemas. */
export type ValueType =
  | { t: 'string'; enum?: readonly string[]; pattern?: RegExp; patternHint?: string }
  | { t: 'number'; min?: number; max?: number; exclusiveMin?: boolean }
  | { t: 'integer'; min?: number; max?: number }
  | { t: 'boolean' }
  | { t: 'duration' }
  | { t: 'string-list'; pattern?: RegExp; patternHint?: string }
  | { t: 'string-map' }
  | { t: 'string-or-list' }
  | { t: 'map'; keys?: KeyTable; open?: boolean }
  | { t: 'list'; items?: KeyTable }
  | { t: 'any' }
  | { t: 'port-or-null' }
  | { t: 'oneof'; of: readonly ValueType[] };

export interface KeyDef {
  type: ValueType;
  description: string;
  /** The default Orzo applies (documentation and JSON Schema `default`). */
  default?: unknown;
  required?: boolean;
  /** Known to PaaSTA but not acted on by Orzo: accepted, noted in docs. */
  ignored?: boolean;
}

export type KeyTable = Readonly<Record<string, KeyDef>>;

export const str = (description: string, extra: Partial<KeyDef> & { enum?: readonly string[] } = {}): KeyDef => ({
  type: { t: 'string', enum: extra.enum },
  description,
  ...omit(extra, 'enum'),
});
export const num = (description: string, extra: Partial<KeyDef> & { min?: number; max?: number; exclusiveMin?: boolean } = {}): KeyDef => ({
  type: { t: 'number', min: extra.min, max: extra.max, exclusiveMin: extra.exclusiveMin },
  description,
  ...omit(extra, 'min', 'max', 'exclusiveMin'),
});
export const int = (description: string, extra: Partial<KeyDef> & { min?: number; max?: number } = {}): KeyDef => ({
  type: { t: 'integer', min: extra.min, max: extra.max },
  description,
  ...omit(extra, 'min', 'max'),
});
export const bool = (description: string, extra: Partial<KeyDef> = {}): KeyDef => ({ type: { t: 'boolean' }, description, ...extra });
export const duration = (description: string, extra: Partial<KeyDef> = {}): KeyDef => ({ type: { t: 'duration' }, description, ...extra });
export const strList = (description: string, extra: Partial<KeyDef> = {}): KeyDef => ({ type: { t: 'string-list' }, description, ...extra });
export const strMap = (description: string, extra: Partial<KeyDef> = {}): KeyDef => ({ type: { t: 'string-map' }, description, ...extra });
export const map = (description: string, keys?: KeyTable, extra: Partial<KeyDef> = {}): KeyDef => ({
  type: { t: 'map', keys, open: !keys },
  description,
  ...extra,
});
export const any = (description: string, extra: Partial<KeyDef> = {}): KeyDef => ({ type: { t: 'any' }, description, ...extra });
/** Accepted for PaaSTA compatibility; Orzo does not act on it yet. */
export const paastaOnly = (description: string, type: ValueType = { t: 'any' }): KeyDef => ({ type, description, ignored: true });

function omit<T extends object>(o: T, ...keys: string[]): Partial<KeyDef> {
  const copy = { ...o } as Record<string, unknown>;
  for (const k of keys) delete copy[k];
  return copy as Partial<KeyDef>;
}
