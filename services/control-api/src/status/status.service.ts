import { Injectable } from '@nestjs/common';
import { api } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { NotFoundError } from '@orzo/platform';
import { HistoryService } from '../history/history.service';
import { InstanceStateSchema } from '../instance-state/instance-state.entity';
import { requireFields } from '../required-fields';
import { SoaConfigSource } from '../soa/soa-config.source';
import { InstanceProgressSchema } from './instance-progress.entity';
import { problemsOf } from './progress-view.service';
import { ReplicaSchema } from './replica.entity';
import { shown } from '../shown';

/**
 * `orzo status`: desired versions from the marks, actual replicas from the read model, and why
 * an instance is not Running yet (engine errors on single replicas, a bounce's progress) from
 * scheduler-bridge's latest deploy.progressed.
 */
@Injectable()
export class StatusService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly history: HistoryService,
  ) {}

  async status(req: api.GetStatusRequest): Promise<api.GetStatusResponse> {
    requireFields(req, { service: 'service' });
    const svc = this.soa.service(req.service);
    const desired = await this.history.desiredVersions(
      req.service,
      svc.instances.map((i) => i.deployGroup),
    );
    const em = this.db.database.em();
    const replicas = await em.getRepository(ReplicaSchema).ofService(req.service);
    const progress = await em.getRepository(InstanceProgressSchema).ofService(req.service);
    const stopped = await em.getRepository(InstanceStateSchema).stoppedOf(req.service);
    const instances = svc.instances
      .filter((i) => (!req.cluster || i.cluster === req.cluster) && (!req.instance || i.instance === req.instance))
      .map((i): api.InstanceStatus => {
        const mark = desired.get(i.deployGroup);
        const mine = replicas.filter((r) => r.instance === i.instance && r.cluster === i.cluster);
        const healthy = mine.filter((r) => r.state === 'Healthy' && r.gitSha === mark?.gitSha).length;
        const desiredReplicas = i.replicas.instances;
        let state: string;
        // orzo stop outlasts later marks: the instance says so until orzo start.
        if (stopped.has(`${i.cluster}.${i.instance}`)) state = mine.length ? 'Stopping' : 'Stopped';
        else if (!mark) state = 'Not deployed (no version marked for this deploy group)';
        else if (healthy >= desiredReplicas && mine.every((r) => r.gitSha === mark.gitSha)) state = 'Running';
        else if (mine.some((r) => r.gitSha !== mark.gitSha)) state = `Bouncing to ${mark.gitSha.slice(0, 8)}`;
        else state = 'Launching replicas';
        const latest = progress.find((p) => p.instance === i.instance && p.cluster === i.cluster);
        const problems = problemsOf(latest);
        // A bounce's progress explains a state that is not Running; problems are shown whatever the state.
        const reason = problems.length || (latest?.phase === 'bouncing' && state !== 'Running') ? (latest?.message ?? '') : '';
        return {
          instance: i.instance,
          cluster: i.cluster,
          desiredGitSha: mark?.gitSha ?? '',
          desiredImage: mark?.image ?? '',
          state,
          desiredReplicas,
          healthyReplicas: healthy,
          replicas: mine.map((r) => ({ replicaId: r.replicaId, host: r.host, port: r.port, gitSha: r.gitSha, state: r.state, startedAt: r.updatedAt })),
          endpoints: i.registrations.map((r) => (r.proxyPort === null ? `${r.name} (discovery only)` : `${r.name} 127.0.0.1:${r.proxyPort}`)),
          reason,
          problems,
        };
      });
    if ((req.cluster || req.instance) && instances.length === 0)
      throw new NotFoundError(`${req.service} has no instance ${shown(req.instance) || '*'} on cluster ${shown(req.cluster) || '*'}`);
    return { service: req.service, instances };
  }

  listServices(): api.ListServicesResponse {
    const result = this.soa.load();
    return {
      services: result.services.map((s) => ({ name: s.name, instances: s.instances.map((i) => `${i.cluster}.${i.instance}`), team: s.team ?? '' })),
    };
  }
}
