import { Injectable } from '@nestjs/common';
import { api } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { NotFoundError } from '@orzo/platform';
import { requireFields } from '../required-fields';
import { SoaConfigSource } from '../soa/soa-config.source';
import { DeployMark, DeployMarkSchema } from './deploy-mark.entity';
import { HistoryEntry, HistoryEntrySchema } from './history-entry.entity';
import { RollbackSchema } from '../rollback/rollback.entity';
import { shown } from '../shown';

export type NewHistoryEntry = Omit<HistoryEntry, 'id' | 'at'>;

/**
 * A service's deployment history, the one place it is written and read: the marks of its deploy
 * groups (the latest is what should run) and the history lines of marks, promotions, skips,
 * waits and failures. Writes go to the caller's EntityManager, so they commit with the rest of
 * its transaction; reads for gRPC requests use a fresh one.
 */
@Injectable()
export class HistoryService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
  ) {}

  async record(em: EntityManager, entry: NewHistoryEntry): Promise<void> {
    await em.getRepository(HistoryEntrySchema).append(entry);
  }

  async recordMark(em: EntityManager, mark: DeployMark): Promise<void> {
    await em.getRepository(DeployMarkSchema).append(mark);
  }

  /** The mark a deploy id stands for, if this control-api made it. */
  markOf(em: EntityManager, deployId: string): Promise<DeployMark | null> {
    return em.getRepository(DeployMarkSchema).byDeployId(deployId);
  }

  /** The latest mark of each of the given deploy groups that has one. */
  async desiredVersions(service: string, deployGroups: Iterable<string>): Promise<Map<string, DeployMark>> {
    const marks = this.db.database.em().getRepository(DeployMarkSchema);
    const desired = new Map<string, DeployMark>();
    for (const group of new Set(deployGroups)) {
      const mark = await marks.latestOf(service, group);
      if (mark) desired.set(group, mark);
    }
    return desired;
  }

  async latestDeployment(req: api.GetLatestDeploymentRequest): Promise<api.GetLatestDeploymentResponse> {
    requireFields(req, { service: 'service', deployGroup: 'deploy_group' });
    const svc = this.soa.service(req.service);
    if (!svc.pipeline.some((s) => s.deployGroup && s.step === req.deployGroup))
      throw new NotFoundError(`unknown deploy group ${shown(req.deployGroup)} of ${req.service}`);
    const mark = await this.db.database.em().getRepository(DeployMarkSchema).latestOf(req.service, req.deployGroup);
    if (!mark) throw new NotFoundError(`${req.service} deploy group ${shown(req.deployGroup)} was never marked`);
    return { image: mark.image, gitSha: mark.gitSha, deployId: mark.id, requestedBy: mark.requestedBy, reason: mark.reason, markedAt: mark.createdAt };
  }

  async history(req: api.GetHistoryRequest): Promise<api.GetHistoryResponse> {
    requireFields(req, { service: 'service' });
    this.soa.service(req.service);
    const entries = await this.db.database
      .em()
      .getRepository(HistoryEntrySchema)
      .latest(req.service, Math.min(Math.max(req.limit || 50, 1), 1000));
    const rollbacks = await this.db.database.em().getRepository(RollbackSchema).ofService(req.service, 100);
    return {
      entries: entries.map((e) => ({ at: e.at, kind: e.kind, deployGroup: e.deployGroup, gitSha: e.gitSha, detail: e.detail, actor: e.actor })),
      rollbacks: rollbacks.map((r) => ({
        deployGroup: r.deployGroup,
        badGitSha: r.badGitSha,
        toGitSha: r.toGitSha,
        requestedBy: r.requestedBy,
        reason: r.reason,
        at: r.at,
        deployId: r.id,
      })),
    };
  }
}
