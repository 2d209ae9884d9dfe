import { Injectable } from '@nestjs/common';
import { InstanceSpec } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { InstanceOverride, InstanceOverrideSchema, overrideKey } from './instance-override.entity';

/**
 * Applies the operator's overrides to the specs control-api is about to send: the replica
 * count in force (an expired one no longer counts, even before the timer lifted it) and the
 * restart token. Every mark goes through here (MarkService.record); InstanceRespec applies the
 * row it is writing itself.
 */
@Injectable()
export class InstanceOverrides {
  constructor(private readonly db: DatabaseHolder) {}

  /** The overrides of a service; `em`: the caller's transaction, else a fresh one. */
  async ofService(service: string, em: EntityManager = this.db.database.em()): Promise<Map<string, InstanceOverride>> {
    const rows = await em.getRepository(InstanceOverrideSchema).ofService(service);
    return new Map(rows.map((r) => [r.instanceKey, r]));
  }

  async apply(specs: InstanceSpec[], em?: EntityManager): Promise<InstanceSpec[]> {
    const services = [...new Set(specs.map((s) => s.service))];
    const rows = new Map<string, InstanceOverride>();
    for (const service of services) for (const [k, v] of await this.ofService(service, em)) rows.set(k, v);
    return specs.map((s) => applyOverride(s, rows.get(overrideKey(s.service, s.cluster, s.instance))));
  }
}

/** The count in force: the override unless it expired. */
export function countInForce(configured: number, o: InstanceOverride | undefined, now = new Date()): number {
  return o && o.instances !== null && !(o.expiresAt && Date.parse(o.expiresAt) <= now.getTime()) ? o.instances : configured;
}

export function applyOverride(spec: InstanceSpec, o: InstanceOverride | undefined): InstanceSpec {
  if (!o) return spec;
  return { ...spec, replicas: countInForce(spec.replicas, o), forceBounce: o.forceBounce };
}
