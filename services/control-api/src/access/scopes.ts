import { InvalidArgumentError } from '@orzo/platform';
import { shown } from '../shown';

/**
 * What a token may do. `read` sees everything; `deploy`, `operate` and `build` act on every
 * service, or on one when written `deploy:<service>`; `admin` does everything, tokens included.
 * operate = start, stop, restart, scale and rollback.
 */
export type ScopeVerb = 'read' | 'deploy' | 'operate' | 'build' | 'admin';

export interface Scope {
  verb: ScopeVerb;
  /** Only this service; undefined: every service. */
  service?: string;
}

const VERBS: readonly ScopeVerb[] = ['read', 'deploy', 'operate', 'build', 'admin'];
/** The verbs that may name one service (read and admin are global). */
const SERVICE_SCOPED: readonly ScopeVerb[] = ['deploy', 'operate', 'build'];
const SERVICE_NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

/** `deploy:payments` -> {verb: 'deploy', service: 'payments'}; a clear error for anything else. */
export function parseScope(text: string): Scope {
  const [verb, service, extra] = text.trim().split(':');
  if (!VERBS.includes(verb as ScopeVerb) || extra !== undefined)
    throw new InvalidArgumentError(`unknown scope "${shown(text)}": expected read, deploy[:service], operate[:service], build[:service] or admin`);
  if (service === undefined) return { verb: verb as ScopeVerb };
  if (!SERVICE_SCOPED.includes(verb as ScopeVerb)) throw new InvalidArgumentError(`scope "${shown(text)}": ${verb} cannot be limited to one service`);
  if (!SERVICE_NAME.test(service)) throw new InvalidArgumentError(`scope "${shown(text)}": "${shown(service)}" is not a service name`);
  return { verb: verb as ScopeVerb, service };
}

export function formatScope(s: Scope): string {
  return s.service ? `${s.verb}:${s.service}` : s.verb;
}

/** The scopes a request needs: a verb, and the service it acts on when it names one. */
export interface Need {
  verb: ScopeVerb;
  service?: string;
}

/**
 * Whether the scopes cover the need. admin covers everything; a global scope covers every
 * service; a service scope covers only requests that name that service (a request that names
 * none, such as listing every build, needs the global scope).
 */
export function allows(scopes: readonly Scope[], need: Need): boolean {
  return scopes.some(
    (s) => s.verb === 'admin' || (s.verb === need.verb && (s.service === undefined || (need.service !== undefined && s.service === need.service))),
  );
}
