import { z } from 'zod';
import type { OrzoServiceName } from '../services';

/**
 * How a responder says no. The first four are the platform's domain error kinds (the caller
 * raises the matching error); 'internal' is a fault of the responder itself.
 */
export type RpcErrorKind = 'invalid-argument' | 'not-found' | 'failed-precondition' | 'unavailable' | 'unauthenticated' | 'permission-denied' | 'internal';

export const RPC_ERROR_KINDS: readonly RpcErrorKind[] = [
  'invalid-argument',
  'not-found',
  'failed-precondition',
  'unavailable',
  'unauthenticated',
  'permission-denied',
  'internal',
];

/**
 * The body of an error reply. A reply body with a string `error` is an error; a reply type
 * therefore never has a field named `error`. `kind` was added to v1's `{error}`: a reply
 * without it (an older responder) counts as 'internal'.
 */
export interface RpcErrorReply {
  error: string;
  kind: RpcErrorKind;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * One request/reply over core NATS (not JetStream: an answer is only useful now), declared
 * once: its subject, who serves it, and its request and reply shapes with their validation.
 */
export interface RpcContract<Req, Res> {
  /** For logs and errors: "builder.cancel". */
  name: string;
  /** The service that answers; named in the caller's error when nobody does. */
  servedBy: OrzoServiceName;
  subject: string;
  /** Queue group of the responders: one of them answers each request. */
  queue?: string;
  /** Validates a request, returning the value or every problem. */
  checkRequest(raw: unknown): Checked<Req>;
  /** Validates a reply, returning the value or every problem. */
  checkReply(raw: unknown): Checked<Res>;
}

export type RpcRequestOf<C> = C extends RpcContract<infer Req, unknown> ? Req : never;
export type RpcReplyOf<C> = C extends RpcContract<unknown, infer Res> ? Res : never;

interface RpcDefinition<Req extends z.ZodType, Res extends z.ZodType> {
  name: string;
  servedBy: OrzoServiceName;
  subject: string;
  queue?: string;
  request: Req;
  reply: Res;
}

/** Builds a contract from zod schemas of its request and reply. */
export function defineRpc<Req extends z.ZodType, Res extends z.ZodType>(def: RpcDefinition<Req, Res>): RpcContract<z.output<Req>, z.output<Res>> {
  return {
    name: def.name,
    servedBy: def.servedBy,
    subject: def.subject,
    queue: def.queue,
    checkRequest: (raw) => check(def.request, raw),
    checkReply: (raw) => check(def.reply, raw),
  };
}

function check<S extends z.ZodType>(schema: S, raw: unknown): Checked<z.output<S>> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)) };
}

/** The error reply in a reply body, or undefined when the body is a normal reply. */
export function rpcErrorOf(raw: unknown): RpcErrorReply | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { error, kind } = raw as { error?: unknown; kind?: unknown };
  if (typeof error !== 'string') return undefined;
  return { error, kind: RPC_ERROR_KINDS.includes(kind as RpcErrorKind) ? (kind as RpcErrorKind) : 'internal' };
}
