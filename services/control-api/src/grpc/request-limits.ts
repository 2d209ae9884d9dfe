import { InvalidArgumentError } from '@orzo/platform';
import { shown } from '../shown';

/** Longest text a request field, or a key or value of a map field (build_args), may hold. */
export const MAX_FIELD_CHARS = 4096;
/** Most entries a map field may hold. */
export const MAX_MAP_ENTRIES = 256;

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Why one string of a request cannot be kept, or null. */
function textProblem(value: string): string | null {
  if (value.length > MAX_FIELD_CHARS) return `is ${value.length} characters; at most ${MAX_FIELD_CHARS}`;
  // Neither SQLite (MikroORM inlines values into its SQL) nor PostgreSQL text can hold a NUL.
  if (value.includes('\u0000')) return 'contains a NUL character';
  return null;
}

/**
 * What cannot be kept in a decoded request, named as in the .proto. Every field ends up in a
 * row or an event: without a bound, one request within gRPC's 4 MB could make an event above
 * NATS' 1 MB payload limit, which the outbox would try to publish forever.
 */
export function fieldLimitProblems(req: object): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(req)) {
    const field = snakeCase(key);
    const problem = typeof value === 'string' ? textProblem(value) : null;
    if (problem) problems.push(`${field} ${problem}`);
    // bytes (a secret's value) are bounded by the method that takes them, not as a map.
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) continue;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > MAX_MAP_ENTRIES) problems.push(`${field} has ${entries.length} entries; at most ${MAX_MAP_ENTRIES}`);
    for (const [k, v] of entries) {
      const bad = textProblem(k) ?? (typeof v === 'string' ? textProblem(v) : null);
      if (bad) {
        problems.push(`${field} entry ${JSON.stringify(shown(k))} ${textProblem(k) ? 'key' : 'value'} ${bad}`);
        break;
      }
    }
  }
  return problems;
}

/** The request as is; InvalidArgumentError naming every field that cannot be kept. */
export function refuseOverLimits<Req extends object>(req: Req): Req {
  const problems = fieldLimitProblems(req);
  if (problems.length) throw new InvalidArgumentError(problems.join('; '));
  return req;
}
