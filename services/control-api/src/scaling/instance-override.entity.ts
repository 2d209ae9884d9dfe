import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { InstanceOverrideRepository } from './instance-override.repository';

/**
 * What an operator set on one instance beyond its soa-configs (control_instance_override): a
 * replica count (`orzo autoscale --set`, optionally expiring) and the restart token
 * (`orzo restart`). Every spec control-api sends for the instance carries them, so a later
 * mark neither undoes a scale nor restarts replicas again.
 */
export interface InstanceOverride {
  /** service/cluster/instance */
  instanceKey: string;
  service: string;
  cluster: string;
  instance: string;
  /** The replica count in force instead of `instances`; null: none. */
  instances: number | null;
  /** RFC 3339: when the count override lapses; null: when cleared. */
  expiresAt: string | null;
  setBy: string;
  setAt: string;
  /** The restart generation: a replica started under another one is replaced. '' = never restarted. */
  forceBounce: string;
  [EntityRepositoryType]?: InstanceOverrideRepository;
}

export const InstanceOverrideSchema = new EntitySchema<InstanceOverride>({
  name: 'InstanceOverride',
  tableName: 'control_instance_override',
  repository: () => InstanceOverrideRepository,
  properties: {
    instanceKey: { type: 'string', primary: true, fieldName: 'instance_key', length: 300 },
    service: { type: 'string', length: 100 },
    cluster: { type: 'string', length: 100 },
    instance: { type: 'string', length: 100 },
    instances: { type: 'integer', nullable: true },
    expiresAt: { type: 'string', fieldName: 'expires_at', length: 40, nullable: true },
    setBy: { type: 'string', fieldName: 'set_by', length: 200 },
    setAt: { type: 'string', fieldName: 'set_at', length: 40 },
    forceBounce: { type: 'string', fieldName: 'force_bounce', length: 100 },
  },
  indexes: [
    { name: 'control_instance_override_service', properties: ['service'] },
    { name: 'control_instance_override_expires', properties: ['expiresAt'] },
  ],
});

export function overrideKey(service: string, cluster: string, instance: string): string {
  return `${service}/${cluster}/${instance}`;
}
