/** PaaSTA's Kubernetes name sanitising: `_` becomes `--`, lowercased. */
export function sanitiseName(name: string): string {
  return name.replace(/_/g, '--').toLowerCase();
}

/** Why a service or instance name is invalid, or null. */
export function nameProblem(name: string, what: 'service' | 'instance' | 'job' | 'namespace'): string | null {
  if (!/^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/.test(name))
    return `${what} name "${name}" may hold only a-z, 0-9, - and _, and must start and end with a letter or digit`;
  if (name.includes('--')) return `${what} name "${name}" contains "--", which is how "_" is written in Kubernetes names: the two would collide`;
  if (sanitiseName(name).length > 63) return `${what} name "${name}" is ${sanitiseName(name).length} characters once "_" becomes "--"; the limit is 63`;
  return null;
}
