import { Injectable } from '@nestjs/common';
import { DatabaseHolder } from '@orzo/persistence';
import { FailedPreconditionError, NotFoundError } from '@orzo/platform';
import { CompiledInstance, CompiledService } from '@orzo/soa-config';
import { OutboxRelay } from '../deploys/outbox.relay';
import { MarkService } from '../deploys/mark.service';
import type { DeployMark } from '../history/deploy-mark.entity';
import { HistoryService, NewHistoryEntry } from '../history/history.service';
import { requireFields } from '../required-fields';
import { shown } from '../shown';
import { SoaConfigSource } from '../soa/soa-config.source';
import { InstanceOverride, InstanceOverrideSchema } from './instance-override.entity';
import { applyOverride } from './instance-overrides.service';

/** One instance of a service, as the soa-configs declare it, with the service. */
export interface InstanceRef {
  svc: CompiledService;
  instance: CompiledInstance;
}

/**
 * Sends the current desired spec of one instance again after an operator changed something
 * about it (scale, restart): the version its deploy group was last marked with, built the way
 * a mark builds it (so overrides and whatever else a mark applies are in it), under that
 * mark's deploy id, so a deploy still converging completes as that deploy and the pipeline
 * goes on. The change, its history line and the event commit together (outbox).
 */
@Injectable()
export class InstanceRespec {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly marks: MarkService,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
  ) {}

  /** The instance, or NotFoundError naming what the service has. */
  find(service: string, cluster: string, instance: string): InstanceRef {
    requireFields({ service, cluster, instance }, { service: 'service', cluster: 'cluster', instance: 'instance' });
    const svc = this.soa.service(service);
    const found = svc.instances.find((i) => i.cluster === cluster && i.instance === instance);
    if (!found)
      throw new NotFoundError(
        `${service} has no instance ${shown(instance)} on cluster ${shown(cluster)}; it has: ${svc.instances.map((i) => `${i.cluster}.${i.instance}`).join(', ') || '(none)'}`,
      );
    return { svc, instance: found };
  }

  /** The mark the instance runs (its deploy group's latest), if it was ever marked. */
  async currentMark(ref: InstanceRef): Promise<DeployMark | undefined> {
    return (await this.history.desiredVersions(ref.svc.name, [ref.instance.deployGroup])).get(ref.instance.deployGroup);
  }

  /**
   * In one transaction: the new override row, the history line and, when the instance runs a
   * version, its new spec (with that row applied) as deploy.requested. Resolves to whether a
   * spec was sent.
   */
  async apply(
    ref: InstanceRef,
    entry: Omit<NewHistoryEntry, 'service' | 'deployGroup' | 'gitSha'>,
    row: InstanceOverride,
    opts: { requireMark?: boolean } = {},
  ): Promise<boolean> {
    const mark = await this.currentMark(ref);
    const i = ref.instance;
    if (!mark && opts.requireMark)
      throw new FailedPreconditionError(`${ref.svc.name}.${i.instance} in ${i.cluster} runs nothing yet: its deploy group ${i.deployGroup} was never marked`);
    const history: NewHistoryEntry = { ...entry, service: ref.svc.name, deployGroup: i.deployGroup, gitSha: mark?.gitSha ?? '' };
    const prepared = mark
      ? await this.marks.prepare(ref.svc, {
          service: ref.svc.name,
          deployGroup: i.deployGroup,
          image: mark.image,
          gitSha: mark.gitSha,
          requestedBy: entry.actor,
          reason: entry.kind,
          correlationId: mark.id,
        })
      : undefined;
    await this.db.database.em().transactional(async (em) => {
      await em.getRepository(InstanceOverrideSchema).put(row);
      await this.history.record(em, history);
      if (!prepared || !mark) return;
      // Prepared as a mark is, before overrides: the row being written applies to the configured count.
      const specs = prepared.payload.specs
        .filter((s) => s.cluster === i.cluster && s.instance === i.instance)
        .map((s) => applyOverride({ ...s, replicas: i.replicas.instances }, row));
      await this.outbox.enqueue(em, prepared.envelope, { ...prepared.payload, deployId: mark.id, specs });
    });
    if (prepared) await this.outbox.flush().catch(() => undefined);
    return !!prepared;
  }
}
