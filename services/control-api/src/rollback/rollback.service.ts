import { Injectable } from '@nestjs/common';
import { GIT_SHA, api } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { FailedPreconditionError, InvalidArgumentError } from '@orzo/platform';
import { MarkService } from '../deploys/mark.service';
import { OutboxRelay } from '../deploys/outbox.relay';
import { DeployMark, DeployMarkSchema } from '../history/deploy-mark.entity';
import { HistoryService } from '../history/history.service';
import { missingFields } from '../required-fields';
import { shown } from '../shown';
import { SoaConfigSource } from '../soa/soa-config.source';
import { DeploymentsService } from './deployments.service';
import { RollbackSchema } from './rollback.entity';
import { requireDeployGroup, rollbackTarget } from './rollback-target';

/** How many recent marks of a group a rollback chooses from. */
const RECENT = 20;

/** A rollback to do: from the group's current mark back to an earlier one. */
export interface GoBack {
  current: DeployMark;
  target: DeployMark;
  requestedBy: string;
  /** manual, or auto: <why the deploy failed> */
  why: string;
  markReason: 'rollback' | 'auto-rollback';
  correlationId?: string;
}

/**
 * Rollback (PaaSTA's `paasta rollback`): marks an earlier version of a deploy group again with the
 * image it ran (retained on the engine; refused when it is gone), and records the sha it left as
 * bad (a rollback tag), so the pipeline never deploys it again. The mark's reason keeps the
 * pipeline from promoting onward when it completes. Used by `orzo rollback` and auto-rollback.
 */
@Injectable()
export class RollbackService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly marks: MarkService,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
    private readonly deployments: DeploymentsService,
  ) {}

  async rollback(req: api.RollbackRequest): Promise<api.RollbackResponse> {
    const problems = missingFields(req, { service: 'service', deployGroup: 'deploy_group' });
    if (req.commitSha && !GIT_SHA.test(req.commitSha)) problems.push(`commit_sha "${shown(req.commitSha)}" is not a hex git sha (7-40 characters)`);
    if (problems.length) throw new InvalidArgumentError(problems.join('; '));
    const svc = this.soa.service(req.service);
    requireDeployGroup(svc, req.deployGroup);
    const em = this.db.database.em();
    const recent = await em.getRepository(DeployMarkSchema).recentOf(req.service, req.deployGroup, RECENT);
    const bad = await this.badShas(em, req.service);
    const { current, target } = rollbackTarget(recent, bad, req.commitSha);
    const requestedBy = req.requestedBy || 'unknown';
    const result = await em.transactional((tx) => this.goBack(tx, { current, target, requestedBy, why: 'manual', markReason: 'rollback' }));
    await this.outbox.flush().catch(() => undefined);
    const listed = await this.deployments.list({ service: req.service, deployGroup: req.deployGroup, limit: 10 });
    return { ...result, rolledBackFrom: current.gitSha, recent: listed.deployments };
  }

  /** The shas of a service rolled back from (bad), in any deploy group. */
  async badShas(em: EntityManager, service: string): Promise<Set<string>> {
    return new Set((await em.getRepository(RollbackSchema).ofService(service)).map((r) => r.badGitSha));
  }

  /** Records a rollback in the caller's transaction: the mark of the earlier image, the bad sha, the history line. */
  async goBack(em: EntityManager, g: GoBack): Promise<Omit<api.RollbackResponse, 'rolledBackFrom' | 'recent'>> {
    const svc = this.soa.service(g.current.service);
    let prepared;
    try {
      prepared = await this.marks.prepare(
        svc,
        {
          service: svc.name,
          deployGroup: g.current.deployGroup,
          image: g.target.image,
          gitSha: g.target.gitSha,
          requestedBy: g.requestedBy,
          reason: g.markReason,
          correlationId: g.correlationId,
        },
        em,
      );
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      throw new FailedPreconditionError(
        `cannot roll back ${svc.name} ${g.current.deployGroup} to ${g.target.gitSha.slice(0, 12)}: its image is gone (${err.message}); ` +
          `rebuild it (orzo cook-image -s ${svc.name} -c ${g.target.gitSha}) or roll back to another version with -k; nothing was changed`,
      );
    }
    const from = g.current.gitSha.slice(0, 12);
    await this.marks.record(em, prepared, 'rollback', `${g.markReason} from ${from} (${g.why}); ${from} is marked bad: the pipeline will not deploy it again`);
    await em.getRepository(RollbackSchema).append({
      id: prepared.payload.deployId,
      service: svc.name,
      deployGroup: g.current.deployGroup,
      badGitSha: g.current.gitSha,
      toGitSha: g.target.gitSha,
      requestedBy: g.requestedBy,
      reason: g.why,
      at: new Date().toISOString(),
    });
    return { deployId: prepared.payload.deployId, image: g.target.image, gitSha: g.target.gitSha, instances: prepared.instances };
  }
}
