import { EntityRepositoryType, EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import { InstanceStateRepository } from './instance-state.repository';

/**
 * The desired state of one instance set by `orzo stop` / `orzo start` (control_instance_state).
 * Kept apart from the marks of its deploy group, so a stop outlives every later mark (PaaSTA's
 * stop, keyed on the sha, was undone by the next deploy). No row: started.
 */
export interface InstanceState {
  service: string;
  cluster: string;
  instance: string;
  desiredState: 'start' | 'stop';
  changedBy: string;
  changedAt: string;
  [PrimaryKeyProp]?: ['service', 'cluster', 'instance'];
  [EntityRepositoryType]?: InstanceStateRepository;
}

export const InstanceStateSchema = new EntitySchema<InstanceState>({
  name: 'InstanceState',
  tableName: 'control_instance_state',
  repository: () => InstanceStateRepository,
  properties: {
    service: { type: 'string', primary: true, length: 100 },
    cluster: { type: 'string', primary: true, length: 100 },
    instance: { type: 'string', primary: true, length: 100 },
    desiredState: { type: 'string', fieldName: 'desired_state', length: 10 },
    changedBy: { type: 'string', fieldName: 'changed_by', length: 200 },
    changedAt: { type: 'string', fieldName: 'changed_at', length: 40 },
  },
});
