import { createHash } from 'node:crypto';

/** What jenkins-hook did with a delivery. */
export type DeliveryAction = 'build-requested' | 'image-built' | 'recorded';

/** A validated webhook delivery, before its service is looked up. */
export interface Delivery {
  /** De-duplication key: a delivery with a key already recorded changes nothing. */
  key: string;
  service: string;
  /** Where the service name came from, said in the 404 of an unknown service. */
  serviceFrom: string;
  job: string | null;
  number: number | null;
  phase: string | null;
  status: string | null;
  /** True when it asks for an image; false when it is only recorded. */
  acts: boolean;
  /** Lower-case hex; empty when not given (only allowed when it does not act). */
  commitSha: string;
  /** Empty: the git_url of the service's service.yaml. */
  gitUrl: string;
  /** Given when CI built and pushed the image itself: announced as built, not built again. */
  image: string;
  dockerfile: string;
  context: string;
  requestedBy: string;
  /** Why a recorded delivery does nothing, or where the CI build is. */
  note: string;
}

export type ParseResult = { ok: true; delivery: Delivery } | { ok: false; problems: string[] };

/**
 * Longest text a delivery field may hold (control-api's limit too): every field ends up in the
 * event, and a body within ORZO_WEBHOOK_MAX_BYTES could otherwise make one above NATS' payload
 * limit, refused on every retry.
 */
export const MAX_FIELD_CHARS = 4096;

/** "<field> is N characters; at most 4096" when `value` is too long, else null. */
export function tooLong(field: string, value: string): string | null {
  return value.length > MAX_FIELD_CHARS ? `${field} is ${value.length} characters; at most ${MAX_FIELD_CHARS}` : null;
}

/** An image reference as control-api accepts it. */
export const IMAGE_REF = /^[a-z0-9]([a-z0-9._\-/:@]*[a-z0-9])?$/i;

/**
 * A UUID-shaped id derived from a key (RFC 9562 version 8, from SHA-256): the same delivery
 * always gets the same event id and build id, so a retry is a duplicate everywhere.
 */
export function deterministicUuid(namespace: string, key: string): string {
  const bytes = createHash('sha256').update(`${namespace}\u0000${key}`, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A repository-relative path: not absolute, no `..` segment. */
export function isRelativePath(path: string): boolean {
  return !path.startsWith('/') && !/^[a-z]:[\\/]/i.test(path) && !path.split(/[\\/]/).includes('..');
}

/** Longest text from a request an error message repeats whole. */
const MAX_SHOWN = 80;

/** A text from a request as an error message shows it: whole when short, else its start and its length. */
export function shown(text: string): string {
  if (text.length <= MAX_SHOWN) return text;
  let end = MAX_SHOWN - 20;
  // Never cut a surrogate pair in two.
  if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return `${text.slice(0, end)}... (${text.length} characters)`;
}

/**
 * Where a parsed JSON body holds a NUL character (in a string or a key), or null. Neither
 * SQLite (MikroORM inlines values into its SQL) nor PostgreSQL text can store one. Iterative:
 * a body may nest thousands deep.
 */
export function nulPath(body: unknown): string | null {
  const stack: Array<[unknown, string]> = [[body, '']];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [value, path] = next;
    if (typeof value === 'string' && value.includes('\u0000')) return path || '(the body)';
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return at;
      stack.push([child, at]);
    }
  }
  return null;
}

/** A short rendering of a JSON value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
