import { randomUUID } from 'node:crypto';
import { EVENT_DEFINITIONS, EventMap, isKnownSubject } from './events';
import { Subject } from './subjects';

/** Envelope metadata of an event, without its payload. */
export interface EnvelopeMeta {
  id: string;
  type: Subject;
  occurredAt: string;
  correlationId: string;
  causationId: string;
  source: string;
}

export interface OrzoEvent<S extends Subject = Subject> {
  envelope: EnvelopeMeta;
  payload: EventMap[S];
}

export interface EnvelopeOptions {
  source: string;
  /** Defaults to a new UUID. Pass a stable id to make a re-publish a duplicate. */
  id?: string;
  correlationId?: string;
  causationId?: string;
  occurredAt?: Date | string;
}

/** Builds the envelope of a new event. A new workflow correlates to its own id. */
export function createEnvelope<S extends Subject>(type: S, options: EnvelopeOptions): EnvelopeMeta & { type: S } {
  const id = options.id ?? randomUUID();
  const occurredAt = options.occurredAt instanceof Date ? options.occurredAt.toISOString() : (options.occurredAt ?? new Date().toISOString());
  return {
    id,
    type,
    occurredAt,
    correlationId: options.correlationId ?? id,
    causationId: options.causationId ?? '',
    source: options.source,
  };
}

/** Options for an event caused by another: same correlation, causation = the cause's id. */
export function causedBy(cause: EnvelopeMeta, source: string, id?: string): EnvelopeOptions {
  return { source, id, correlationId: cause.correlationId, causationId: cause.id };
}

/** The wire form: canonical proto3 JSON of EventEnvelope, UTF-8. */
export function encodeEvent<S extends Subject>(envelope: EnvelopeMeta & { type: S }, payload: EventMap[S]): Uint8Array {
  const definition = EVENT_DEFINITIONS[envelope.type];
  const json = { ...envelope, payload: (definition.codec as { toJSON(m: EventMap[S]): unknown }).toJSON(payload) };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

export type DecodeResult = { ok: true; event: OrzoEvent } | { ok: false; reason: string; envelope?: Partial<EnvelopeMeta> };

const ENVELOPE_REQUIRED = ['id', 'type', 'occurredAt', 'correlationId', 'source'] as const;

/**
 * Decodes and validates an event received on `subject`. Never throws: anything wrong
 * (not JSON, missing envelope fields, a type that is not the subject, an unknown type,
 * a payload missing required fields) comes back as a reason fit for a dead letter.
 */
export function decodeEvent(subject: string, data: Uint8Array): DecodeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (!isPlainObject(raw)) return { ok: false, reason: 'body is not a JSON object' };
  const partial = pickEnvelope(raw);
  const problems: string[] = [];
  for (const key of ENVELOPE_REQUIRED) {
    const value = raw[key];
    if (typeof value !== 'string' || value.length === 0) problems.push(`envelope.${key} must be a non-empty string`);
  }
  if (raw['causationId'] !== undefined && typeof raw['causationId'] !== 'string') problems.push('envelope.causationId must be a string');
  if (typeof raw['occurredAt'] === 'string' && Number.isNaN(Date.parse(raw['occurredAt'])))
    problems.push(`envelope.occurredAt is not an RFC 3339 time: ${raw['occurredAt']}`);
  if (typeof raw['type'] === 'string' && raw['type'] !== subject) problems.push(`envelope.type ${raw['type']} does not match subject ${subject}`);
  if (!isKnownSubject(subject)) problems.push(`unknown event type ${subject}`);
  if (!isPlainObject(raw['payload'])) problems.push('payload must be a JSON object');
  if (problems.length > 0 || !isKnownSubject(subject)) return { ok: false, reason: problems.join('; '), envelope: partial };

  const definition = EVENT_DEFINITIONS[subject];
  const payloadRaw = raw['payload'] as Record<string, unknown>;
  for (const field of definition.required) {
    if (isEmpty(payloadRaw[field])) problems.push(`payload.${field} is required by ${definition.messageName}`);
  }
  if (problems.length > 0) return { ok: false, reason: problems.join('; '), envelope: partial };
  let payload: unknown;
  try {
    payload = definition.codec.fromJSON(payloadRaw);
  } catch (err) {
    return { ok: false, reason: `payload is not a valid ${definition.messageName}: ${(err as Error).message}`, envelope: partial };
  }
  const envelope: EnvelopeMeta = {
    id: raw['id'] as string,
    type: subject,
    occurredAt: raw['occurredAt'] as string,
    correlationId: raw['correlationId'] as string,
    causationId: (raw['causationId'] as string | undefined) ?? '',
    source: raw['source'] as string,
  };
  return { ok: true, event: { envelope, payload } as OrzoEvent };
}

function pickEnvelope(raw: Record<string, unknown>): Partial<EnvelopeMeta> {
  const out: Record<string, string> = {};
  for (const key of ['id', 'type', 'occurredAt', 'correlationId', 'causationId', 'source']) {
    if (typeof raw[key] === 'string') out[key] = raw[key] as string;
  }
  return out as Partial<EnvelopeMeta>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.length === 0;
  if (Array.isArray(value)) return value.length === 0;
  return false;
}
