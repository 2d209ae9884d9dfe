import { Injectable } from '@nestjs/common';
import { api } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { GrpcError, requireFields } from '../deploy/grpc-error';
import { SoaConfigSource } from '../deploy/soa-config.source';

interface MarkRow {
  deploy_group: string;
  image: string;
  git_sha: string;
}

interface ReplicaRow {
  replica_id: string;
  instance: string;
  cluster: string;
  host: string;
  port: number;
  git_sha: string;
  state: string;
  updated_at: string;
}

/** `orzo status`: desired versions from the marks, actual replicas from the read model. */
@Injectable()
export class StatusService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
  ) {}

  async status(req: api.GetStatusRequest): Promise<api.GetStatusResponse> {
    requireFields(req, { service: 'service' });
    const svc = this.soa.service(req.service);
    const em = this.db.database.em();
    const marks = await em.execute<MarkRow[]>(
      'select m.deploy_group, m.image, m.git_sha from control_deploy_mark m where m.service = ? and m.created_at = (select max(created_at) from control_deploy_mark x where x.service = m.service and x.deploy_group = m.deploy_group)',
      [req.service],
    );
    const desired = new Map(marks.map((m) => [m.deploy_group, m]));
    const replicas = await em.execute<ReplicaRow[]>(
      'select replica_id, instance, cluster, host, port, git_sha, state, updated_at from control_replica where service = ? order by replica_id',
      [req.service],
    );
    const instances = svc.instances
      .filter((i) => (!req.cluster || i.cluster === req.cluster) && (!req.instance || i.instance === req.instance))
      .map((i): api.InstanceStatus => {
        const mark = desired.get(i.deployGroup);
        const mine = replicas.filter((r) => r.instance === i.instance && r.cluster === i.cluster);
        const healthy = mine.filter((r) => r.state === 'Healthy' && r.git_sha === mark?.git_sha).length;
        const desiredReplicas = i.replicas.instances;
        let state: string;
        if (!mark) state = 'Not deployed (no version marked for this deploy group)';
        else if (healthy >= desiredReplicas && mine.every((r) => r.git_sha === mark.git_sha)) state = 'Running';
        else if (mine.some((r) => r.git_sha !== mark.git_sha)) state = `Bouncing to ${mark.git_sha.slice(0, 8)}`;
        else state = 'Launching replicas';
        return {
          instance: i.instance,
          cluster: i.cluster,
          desiredGitSha: mark?.git_sha ?? '',
          desiredImage: mark?.image ?? '',
          state,
          desiredReplicas,
          healthyReplicas: healthy,
          replicas: mine.map((r) => ({ replicaId: r.replica_id, host: r.host, port: r.port, gitSha: r.git_sha, state: r.state, startedAt: r.updated_at })),
          endpoints: i.registrations.map((r) => (r.proxyPort === null ? `${r.name} (discovery only)` : `${r.name} 127.0.0.1:${r.proxyPort}`)),
        };
      });
    if ((req.cluster || req.instance) && instances.length === 0)
      throw GrpcError.notFound(`${req.service} has no instance ${req.instance || '*'} on cluster ${req.cluster || '*'}`);
    return { service: req.service, instances };
  }

  listServices(): api.ListServicesResponse {
    const result = this.soa.load();
    return {
      services: result.services.map((s) => ({ name: s.name, instances: s.instances.map((i) => `${i.cluster}.${i.instance}`), team: s.team ?? '' })),
    };
  }
}
