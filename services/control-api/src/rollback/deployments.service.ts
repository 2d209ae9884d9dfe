import { Injectable } from '@nestjs/common';
import { api } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { DeployInstance, DeployInstanceSchema } from '../deploys/deploy-instance.entity';
import { DeployMarkSchema } from '../history/deploy-mark.entity';
import { HistoryEntrySchema } from '../history/history-entry.entity';
import { InstanceStateSchema } from '../instance-state/instance-state.entity';
import { requireFields } from '../required-fields';
import { SoaConfigSource } from '../soa/soa-config.source';
import { RollbackSchema } from './rollback.entity';
import { requireDeployGroup } from './rollback-target';

/**
 * The recent marks of a deploy group with how each deploy went: what `orzo rollback` chooses
 * from and what `orzo wait-for-deployment` (and `mark-for-deployment --wait`) watch for a failure
 * or a newer mark.
 */
@Injectable()
export class DeploymentsService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
  ) {}

  async list(req: api.ListDeploymentsRequest): Promise<api.ListDeploymentsResponse> {
    requireFields(req, { service: 'service', deployGroup: 'deploy_group' });
    const svc = this.soa.service(req.service);
    requireDeployGroup(svc, req.deployGroup);
    const em = this.db.database.em();
    const marks = await em.getRepository(DeployMarkSchema).recentOf(req.service, req.deployGroup, Math.min(Math.max(req.limit || 10, 1), 100));
    const bad = new Set((await em.getRepository(RollbackSchema).ofService(req.service)).map((r) => r.badGitSha));
    const rows = await em.getRepository(DeployInstanceSchema).ofDeploys(marks.map((m) => m.id));
    const stopped = await em.getRepository(InstanceStateSchema).stoppedOf(req.service);
    const instances = svc.instances.filter((i) => i.deployGroup === req.deployGroup).map((i) => `${i.cluster}.${i.instance}`);
    return {
      deployments: marks.map((m, index) => {
        const mine = rows.filter((r) => r.deployId === m.id);
        return {
          deployId: m.id,
          gitSha: m.gitSha,
          image: m.image,
          requestedBy: m.requestedBy,
          reason: m.reason,
          markedAt: m.createdAt,
          current: index === 0,
          rolledBack: bad.has(m.gitSha),
          outcome: outcomeOf(mine),
          failures: mine.filter((r) => r.state === 'failed').map((r) => `${r.instanceKey}: ${r.reason ?? 'failed'}`),
          instances,
          stoppedInstances: instances.filter((k) => stopped.has(k)),
        };
      }),
    };
  }

  /**
   * The deploy.yaml pipeline with each deploy group's current mark, and before a manual gate the
   * version the pipeline waits to promote (its last `wait` entry, when newer than the group's mark).
   */
  async pipeline(req: api.GetPipelineRequest): Promise<api.GetPipelineResponse> {
    requireFields(req, { service: 'service' });
    const svc = this.soa.service(req.service);
    const history = this.db.database.em().getRepository(HistoryEntrySchema);
    const steps: api.PipelineStepStatus[] = [];
    for (const s of svc.pipeline) {
      const step: api.PipelineStepStatus = {
        step: s.step,
        deployGroup: s.deployGroup,
        triggerNextStepManually: s.triggerNextStepManually,
        disabled: s.disabled,
        parallelGroup: s.parallelGroup ?? 0,
        waitForDeployment: s.waitForDeployment,
        current: undefined,
        waitingGitSha: '',
        waitingSince: '',
      };
      if (s.deployGroup) {
        step.current = (await this.list({ service: req.service, deployGroup: s.step, limit: 1 })).deployments[0];
        const wait = await history.latestOfKind(req.service, 'wait', s.step);
        if (wait && wait.gitSha !== step.current?.gitSha && (!step.current || wait.at > step.current.markedAt)) {
          step.waitingGitSha = wait.gitSha;
          step.waitingSince = wait.at;
        }
      }
      steps.push(step);
    }
    return { steps };
  }
}

/** How a deploy went, from its instance rows: none when it had no instance to wait for. */
export function outcomeOf(rows: readonly Pick<DeployInstance, 'state'>[]): string {
  if (rows.length === 0) return 'none';
  if (rows.some((r) => r.state === 'failed')) return 'failed';
  return rows.every((r) => r.state === 'completed') ? 'completed' : 'requested';
}
