import { EntitySchema } from '@orzo/persistence';

/** The latest desired spec of one instance: what the bridge converges to, across its own restarts. */
export interface DesiredInstanceRow {
  /** service/cluster/instance */
  instanceKey: string;
  deployId: string;
  /** InstanceSpec as proto JSON. */
  spec: string;
  /** The deploy whose completion was announced for this instance. */
  completedDeployId: string | null;
  updatedAt: string;
}

export const DesiredInstanceSchema = new EntitySchema<DesiredInstanceRow>({
  name: 'DesiredInstance',
  tableName: 'sched_desired_instance',
  properties: {
    instanceKey: { type: 'string', primary: true, fieldName: 'instance_key', length: 300 },
    deployId: { type: 'string', fieldName: 'deploy_id', length: 64 },
    spec: { type: 'text' },
    completedDeployId: { type: 'string', fieldName: 'completed_deploy_id', length: 64, nullable: true },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
  },
});
