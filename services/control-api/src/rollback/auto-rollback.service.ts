import { Injectable } from '@nestjs/common';
import { DeployFailed } from '@orzo/contracts';
import { EntityManager } from '@orzo/persistence';
import { isDomainError } from '@orzo/platform';
import { DeployMarkSchema } from '../history/deploy-mark.entity';
import { HistoryService } from '../history/history.service';
import { OutboxRelay } from '../deploys/outbox.relay';
import { RollbackService } from './rollback.service';
import { isRollbackReason, rollbackTarget } from './rollback-target';

/** What a deploy.failed did here. */
export type AutoRollbackResult = 'rolled-back' | 'not-asked' | 'superseded' | 'no-earlier-version' | 'unknown-deploy';

/**
 * Automatic rollback: a deploy.failed (scheduler-bridge gave up: not converged within the deploy
 * timeout, replicas that never passed their health check, a crash loop, a missing image) of a mark
 * that asked for it (deploy.yaml auto_rollback or --auto-rollback) marks the group's previous
 * version again, in the event's transaction. Only the group's current mark rolls back, once: the
 * failure of a second instance of the same deploy finds the rollback mark current and does nothing,
 * and a rollback never rolls back itself.
 */
@Injectable()
export class AutoRollbackService {
  constructor(
    private readonly rollbacks: RollbackService,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
  ) {}

  async deployFailed(em: EntityManager, p: DeployFailed, correlationId: string): Promise<AutoRollbackResult> {
    const mark = await this.history.markOf(em, p.deployId);
    if (!mark) return 'unknown-deploy';
    if (!mark.autoRollback || isRollbackReason(mark.reason)) return 'not-asked';
    const marks = em.getRepository(DeployMarkSchema);
    const recent = await marks.recentOf(mark.service, mark.deployGroup, 20);
    if (recent[0]?.id !== mark.id) return 'superseded';
    const why = `auto: deploy ${p.deployId} failed on ${p.cluster}.${p.instance}: ${p.reason}${p.detail ? ` (${p.detail})` : ''}`;
    let chosen;
    try {
      chosen = rollbackTarget(recent, await this.rollbacks.badShas(em, mark.service));
    } catch (err) {
      if (!isDomainError(err) || !err.permanent) throw err;
      await this.noRollback(em, mark.service, mark.deployGroup, mark.gitSha, `${err.message}`, why);
      return 'no-earlier-version';
    }
    try {
      await this.rollbacks.goBack(em, { ...chosen, requestedBy: 'auto-rollback', why, markReason: 'auto-rollback', correlationId });
    } catch (err) {
      if (!isDomainError(err) || !err.permanent) throw err;
      await this.noRollback(em, mark.service, mark.deployGroup, mark.gitSha, err.message, why);
      return 'no-earlier-version';
    }
    setTimeout(() => void this.outbox.flush().catch(() => undefined), 20).unref();
    return 'rolled-back';
  }

  private async noRollback(em: EntityManager, service: string, deployGroup: string, gitSha: string, cause: string, why: string): Promise<void> {
    await this.history.record(em, {
      service,
      kind: 'failed',
      deployGroup,
      gitSha,
      actor: 'auto-rollback',
      detail: `auto_rollback could not roll back: ${cause}; ${why.replace(/^auto: /, '')}`,
    });
  }
}
