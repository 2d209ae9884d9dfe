import { Injectable } from '@nestjs/common';
import { InstanceSpec } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';

export interface DesiredInstance {
  key: string;
  deployId: string;
  spec: InstanceSpec;
  completedDeployId?: string;
}

export function instanceKey(s: Pick<InstanceSpec, 'service' | 'cluster' | 'instance'>): string {
  return `${s.service}/${s.cluster}/${s.instance}`;
}

interface Row {
  instance_key: string;
  deploy_id: string;
  spec: string;
  completed_deploy_id: string | null;
}

/** Durable desired state: the latest spec of each instance, kept in the bridge's database. */
@Injectable()
export class DesiredStateRepository {
  constructor(private readonly db: DatabaseHolder) {}

  async save(tx: EntityManager, deployId: string, spec: InstanceSpec, at: string): Promise<void> {
    const key = instanceKey(spec);
    await tx.execute('delete from sched_desired_instance where instance_key = ?', [key]);
    await tx.execute('insert into sched_desired_instance (instance_key, deploy_id, spec, completed_deploy_id, updated_at) values (?, ?, ?, null, ?)', [
      key,
      deployId,
      JSON.stringify(InstanceSpec.toJSON(spec)),
      at,
    ]);
  }

  async get(key: string): Promise<DesiredInstance | undefined> {
    const rows = await this.db.database
      .em()
      .execute<Row[]>('select instance_key, deploy_id, spec, completed_deploy_id from sched_desired_instance where instance_key = ?', [key]);
    return rows[0] ? toDesired(rows[0]) : undefined;
  }

  async all(): Promise<DesiredInstance[]> {
    const rows = await this.db.database
      .em()
      .execute<Row[]>('select instance_key, deploy_id, spec, completed_deploy_id from sched_desired_instance order by instance_key');
    return rows.map(toDesired);
  }

  async markCompleted(key: string, deployId: string): Promise<boolean> {
    const res = await this.db.database
      .em()
      .execute<{ affectedRows?: number }>(
        'update sched_desired_instance set completed_deploy_id = ? where instance_key = ? and deploy_id = ? and (completed_deploy_id is null or completed_deploy_id <> ?)',
        [deployId, key, deployId, deployId],
        'run',
      );
    return Number((res as { affectedRows?: number }).affectedRows ?? 0) > 0;
  }
}

function toDesired(r: Row): DesiredInstance {
  return { key: r.instance_key, deployId: r.deploy_id, spec: InstanceSpec.fromJSON(JSON.parse(r.spec)), completedDeployId: r.completed_deploy_id ?? undefined };
}
