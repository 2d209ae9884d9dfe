/**
 * PaaSTA's secret references in an env value: the whole value is `SECRET(name)` (a secret of
 * the instance's service) or `SHARED_SECRET(name)` (a secret of the pseudo-service `_shared`,
 * readable by every service). Names as PaaSTA's SECRET_REGEX, non-empty.
 */
export const SHARED_SECRET_SERVICE = '_shared';
export const SECRET_NAME = /^[A-Za-z0-9_-]{1,100}$/;
const REF = /^(SHARED_)?SECRET\(([A-Za-z0-9_-]{1,100})\)$/;

export interface SecretRef {
  /** The service whose store holds it: the instance's own, or `_shared`. */
  service: string;
  name: string;
}

/** The secret an env value references, if it is a reference. */
export function parseSecretRef(value: string, service: string): SecretRef | undefined {
  const m = REF.exec(value);
  if (!m) return undefined;
  return { service: m[1] ? SHARED_SECRET_SERVICE : service, name: m[2]! };
}

/** Every secret an env references, keyed "service/name", with the variables that use each. */
export function secretRefsOf(env: Record<string, string>, service: string): Map<string, SecretRef & { vars: string[] }> {
  const out = new Map<string, SecretRef & { vars: string[] }>();
  for (const [k, v] of Object.entries(env)) {
    const ref = parseSecretRef(v, service);
    if (!ref) continue;
    const key = `${ref.service}/${ref.name}`;
    const seen = out.get(key) ?? { ...ref, vars: [] };
    seen.vars.push(k);
    out.set(key, seen);
  }
  return out;
}
