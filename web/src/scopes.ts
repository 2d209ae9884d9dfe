import type { WhoAmI } from './api';

export type Verb = 'read' | 'deploy' | 'operate' | 'build' | 'admin';

/**
 * Whether the signed-in token may do this, as control-api decides (access/scopes.ts): admin does
 * everything, `operate` every service, `operate:web` only web. Only hides buttons: the server
 * refuses a forbidden call anyway.
 */
export function can(who: WhoAmI | undefined, verb: Verb, service?: string): boolean {
  return (who?.scopes ?? []).some((text) => {
    const [v, s] = text.split(':');
    return v === 'admin' || (v === verb && (s === undefined || s === service));
  });
}
