import { FailedPreconditionError, NotFoundError } from '@orzo/platform';
import type { CompiledService } from '@orzo/soa-config';
import type { DeployMark } from '../history/deploy-mark.entity';
import { shown } from '../shown';

/** The reasons of the marks a rollback makes: the pipeline never goes on from one of them. */
export const ROLLBACK_REASONS = ['rollback', 'auto-rollback'] as const;

export function isRollbackReason(reason: string): boolean {
  return (ROLLBACK_REASONS as readonly string[]).includes(reason);
}

/** A deploy group of the service's deploy.yaml pipeline, or NotFoundError naming the ones it has. */
export function requireDeployGroup(svc: CompiledService, deployGroup: string): void {
  const groups = svc.pipeline.filter((s) => s.deployGroup).map((s) => s.step);
  if (!groups.includes(deployGroup))
    throw new NotFoundError(`unknown deploy group ${shown(deployGroup)} of ${svc.name}; its deploy.yaml pipeline has: ${groups.join(', ') || '(none)'}`);
}

/** The distinct shas of some marks, newest first, as a refusal lists them. */
function versionsOf(recent: readonly DeployMark[]): string {
  return [...new Set(recent.map((m) => m.gitSha.slice(0, 12)))].join(', ');
}

/**
 * The mark a rollback of a deploy group goes back to, from its recent marks (newest first): the
 * one of `commitSha` (a prefix of at least 7 hex digits), or else the newest whose sha differs
 * from the current one and was not itself rolled back. Refuses (changing nothing) a group never
 * marked, a sha it did not run, the current version, or a group with no earlier version.
 */
export function rollbackTarget(recent: readonly DeployMark[], badShas: ReadonlySet<string>, commitSha = ''): { current: DeployMark; target: DeployMark } {
  const current = recent[0];
  if (!current) throw new NotFoundError('the deploy group was never marked: there is no version to roll back to');
  const where = `${current.service} deploy group ${current.deployGroup}`;
  if (commitSha) {
    const target = recent.find((m) => m.gitSha.startsWith(commitSha));
    if (!target) throw new NotFoundError(`${shown(commitSha)} is not among the recent versions of ${where}: ${versionsOf(recent)}`);
    if (target.gitSha === current.gitSha) throw new FailedPreconditionError(`${target.gitSha.slice(0, 12)} is already the desired version of ${where}`);
    return { current, target };
  }
  const target = recent.find((m) => m.gitSha !== current.gitSha && !badShas.has(m.gitSha));
  if (!target) throw new FailedPreconditionError(`${where} has no earlier version to go back to (recent: ${versionsOf(recent)}); give one with -k <sha>`);
  return { current, target };
}
