import { Injectable } from '@nestjs/common';
import { DeployProgressed, ReplicaProblem } from '@orzo/contracts';
import { EntityManager } from '@orzo/persistence';
import { InstanceProgress, InstanceProgressSchema } from './instance-progress.entity';

/** The latest progress of each instance as scheduler-bridge tells it, behind `orzo status`. */
@Injectable()
export class ProgressViewService {
  async record(em: EntityManager, p: DeployProgressed, at: string): Promise<void> {
    await em.getRepository(InstanceProgressSchema).putUnlessNewer({
      instanceKey: `${p.service}/${p.cluster}/${p.instance}`,
      service: p.service,
      cluster: p.cluster,
      instance: p.instance,
      deployId: p.deployId,
      phase: p.phase,
      message: p.message,
      ready: p.ready,
      desired: p.desired,
      problems: JSON.stringify(p.problems),
      updatedAt: at,
    });
  }
}

/** The problems stored with a progress row (an unreadable value is no problem to show). */
export function problemsOf(progress: InstanceProgress | undefined): ReplicaProblem[] {
  if (!progress) return [];
  try {
    const parsed = JSON.parse(progress.problems) as unknown;
    return Array.isArray(parsed) ? (parsed as ReplicaProblem[]) : [];
  } catch {
    return [];
  }
}
