import type { InstanceSpec } from '@orzo/contracts';

/**
 * Whether a running replica is of the desired generation: same version (git sha), same config
 * (config hash) and same restart token (`orzo restart` puts a new one in the spec). Any other
 * is "old" to planBounce and replaced through the bounce method; a replica started before
 * restart tokens existed has none, like a spec that was never restarted.
 */
export function isCurrentReplica(
  r: { gitSha: string; configHash: string; forceBounce?: string },
  spec: Pick<InstanceSpec, 'gitSha' | 'configHash' | 'forceBounce'>,
): boolean {
  return r.gitSha === spec.gitSha && r.configHash === spec.configHash && (r.forceBounce ?? '') === (spec.forceBounce ?? '');
}
