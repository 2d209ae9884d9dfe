import { Injectable } from '@nestjs/common';
import { api } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { InvalidArgumentError } from '@orzo/platform';
import { shown } from '../shown';
import { parseDuration } from './duration';
import { InstanceOverride, InstanceOverrideSchema, overrideKey } from './instance-override.entity';
import { countInForce } from './instance-overrides.service';
import { InstanceRef, InstanceRespec } from './instance-respec.service';

/** The ceiling of an instance without max_instances (not autoscaled): a typo must not start 1000 containers. */
export const MAX_UNBOUNDED_OVERRIDE = 100;

/** The bounds of an override: min_instances..max_instances, or min_instances..100 without max_instances. */
export function overrideBounds(replicas: { min: number; max: number; autoscaled: boolean }): { min: number; max: number } {
  return { min: replicas.min, max: replicas.autoscaled ? replicas.max : Math.max(MAX_UNBOUNDED_OVERRIDE, replicas.max) };
}

/** The longest override: a forgotten one should not outlive a quarter. */
const MAX_EXPIRY_S = 90 * 86400;

/**
 * `orzo autoscale`: shows, sets or clears an instance's replica-count override (PaaSTA's
 * manual autoscaler override). A set count is clamped to min_instances..max_instances of the
 * instance config; with --for it lapses by itself (OverrideExpiry). Scaling sends the same
 * version with another count: the bounce adds or drains replicas, never replaces healthy ones.
 */
@Injectable()
export class AutoscaleService {
  constructor(
    private readonly respec: InstanceRespec,
    private readonly db: DatabaseHolder,
  ) {}

  async autoscale(req: api.AutoscaleRequest): Promise<api.AutoscaleResponse> {
    const ref = this.respec.find(req.service, req.cluster, req.instance);
    if (req.clear && req.hasSet) throw new InvalidArgumentError('set and clear: give one of them, not both (--set or --clear)');
    if (req.expireAfter && !req.hasSet) throw new InvalidArgumentError('expire_after (--for) needs set (--set)');
    const seconds = req.expireAfter ? parseDuration(req.expireAfter) : undefined;
    if (req.expireAfter && (seconds === undefined || seconds > MAX_EXPIRY_S))
      throw new InvalidArgumentError(`expire_after (--for) ${shown(req.expireAfter)} is not a duration of at most 90d like 30m, 3h, 1d or 1h30m`);
    const existing = await this.current(ref);
    const by = req.requestedBy || 'unknown';
    const now = new Date();
    const base = {
      instanceKey: key(ref),
      service: ref.svc.name,
      cluster: ref.instance.cluster,
      instance: ref.instance.instance,
      forceBounce: existing?.forceBounce ?? '',
    };
    if (req.clear) {
      const row: InstanceOverride = { ...base, instances: null, expiresAt: null, setBy: by, setAt: now.toISOString() };
      const was = existing?.instances ?? null;
      await this.respec.apply(
        ref,
        {
          kind: 'scale',
          actor: by,
          detail: `${where(ref)}: override ${was === null ? '(none)' : was} cleared; back to instances ${ref.instance.replicas.instances}`,
        },
        row,
      );
      return this.answer(ref, row, false, 0);
    }
    if (!req.hasSet) return this.answer(ref, existing, false, 0);
    const { min, max } = overrideBounds(ref.instance.replicas);
    const count = Math.min(Math.max(req.set, min), max);
    const clamped = count !== req.set;
    const expiresAt = seconds ? new Date(now.getTime() + seconds * 1000).toISOString() : null;
    const row: InstanceOverride = { ...base, instances: count, expiresAt, setBy: by, setAt: now.toISOString() };
    const detail = `${where(ref)}: instances ${countInForce(ref.instance.replicas.instances, existing ?? undefined)} -> ${count}${clamped ? ` (asked ${req.set}, clamped to ${min}..${max} (min_instances..max_instances))` : ''}${expiresAt ? ` until ${expiresAt}` : ''}`;
    await this.respec.apply(ref, { kind: 'scale', actor: by, detail }, row);
    return this.answer(ref, row, clamped, req.set);
  }

  private current(ref: InstanceRef): Promise<InstanceOverride | null> {
    return this.db.database
      .em()
      .getRepository(InstanceOverrideSchema)
      .findOne({ instanceKey: key(ref) }, { disableIdentityMap: true });
  }

  private answer(ref: InstanceRef, o: InstanceOverride | null | undefined, clamped: boolean, requested: number): api.AutoscaleResponse {
    const configured = ref.instance.replicas.instances;
    const current = countInForce(configured, o ?? undefined);
    const overridden = !!o && o.instances !== null && current === o.instances && !(o.expiresAt && Date.parse(o.expiresAt) <= Date.now());
    return {
      configured,
      minInstances: overrideBounds(ref.instance.replicas).min,
      maxInstances: overrideBounds(ref.instance.replicas).max,
      current,
      overridden,
      expiresAt: overridden ? (o?.expiresAt ?? '') : '',
      setBy: overridden ? (o?.setBy ?? '') : '',
      setAt: overridden ? (o?.setAt ?? '') : '',
      clamped,
      requested,
    };
  }
}

function key(ref: InstanceRef): string {
  return overrideKey(ref.svc.name, ref.instance.cluster, ref.instance.instance);
}

function where(ref: InstanceRef): string {
  return `${ref.instance.cluster}.${ref.instance.instance}`;
}
