import { ALL_SUBJECTS, Subject } from '@orzo/contracts';
import type { EventPosition } from '@orzo/bus';
import { InvalidArgumentError } from '@orzo/platform';
import { parseDuration } from '@orzo/soa-config';
import { shown } from '../shown';

/** `deploy` (a domain) or `deploy.progressed` (one kind) -> the subjects it covers. */
export function subjectsOfKinds(kinds: readonly string[]): Subject[] {
  if (kinds.length === 0) return [...ALL_SUBJECTS];
  const wanted = new Set<Subject>();
  for (const kind of kinds) {
    const matching = ALL_SUBJECTS.filter((s) => s === `orzo.${kind}.v1` || s.startsWith(`orzo.${kind}.`));
    if (matching.length === 0) {
      const known = [...new Set(ALL_SUBJECTS.map((s) => s.split('.')[1]!))].join(', ');
      throw new InvalidArgumentError(`kinds: unknown event kind "${shown(kind)}": a domain (${known}) or an event such as deploy.progressed`);
    }
    for (const s of matching) wanted.add(s);
  }
  return [...wanted];
}

/** The service an event is about, from its payload: service, replica.service, or a registration's service part. */
export function serviceOfEvent(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as { service?: unknown; replica?: { service?: unknown }; run?: { service?: unknown }; registration?: unknown };
  if (typeof p.service === 'string' && p.service) return p.service;
  if (typeof p.replica?.service === 'string') return p.replica.service;
  // Job run events (orzo.job.run-*) name their service inside the run reference.
  if (typeof p.run?.service === 'string' && p.run.service) return p.run.service;
  if (typeof p.registration === 'string') return p.registration.split('.')[0];
  return undefined;
}

/** Positions travel as opaque text: base64url of the per-stream sequences. */
export function encodePosition(p: EventPosition): string {
  return Buffer.from(JSON.stringify(p)).toString('base64url');
}

export function decodePosition(text: string): EventPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => Number.isSafeInteger(v) && (v as number) >= 0))
    throw new InvalidArgumentError('position is not one this API gave out (pass back the position of the last event received)');
  return parsed as EventPosition;
}

/** `since` as milliseconds; undefined when not given. */
export function sinceMs(since: string): number | undefined {
  if (!since) return undefined;
  const seconds = parseDuration(since);
  if (seconds === null) throw new InvalidArgumentError(`since "${shown(since)}" is not a duration like 10m, 1h or 2d`);
  return seconds * 1000;
}
