import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Subjects, api, createEnvelope } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { NotFoundError } from '@orzo/platform';
import { CompiledInstance } from '@orzo/soa-config';
import { toInstanceSpec } from '../deploys/instance-spec';
import { OutboxRelay } from '../deploys/outbox.relay';
import { DeployMarkSchema } from '../history/deploy-mark.entity';
import { HistoryService } from '../history/history.service';
import { requireFields } from '../required-fields';
import { shown } from '../shown';
import { SoaConfigSource } from '../soa/soa-config.source';
import { InstanceStateSchema } from './instance-state.entity';

/**
 * `orzo stop` / `orzo start`: the desired state of one instance, kept beside (not in) the marks of
 * its deploy group, so a stop lasts across every later mark until a start. A change is recorded
 * (state, history line) with a deploy.requested carrying the instance's spec at the group's current
 * version and the new desired state, in one transaction: scheduler-bridge drains and stops every
 * replica, or starts them again through the bounce method.
 */
@Injectable()
export class InstanceStateService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
  ) {}

  stop(req: api.InstanceControlRequest): Promise<api.InstanceControlResponse> {
    return this.set(req, 'stop');
  }

  start(req: api.InstanceControlRequest): Promise<api.InstanceControlResponse> {
    return this.set(req, 'start');
  }

  private async set(req: api.InstanceControlRequest, desiredState: 'start' | 'stop'): Promise<api.InstanceControlResponse> {
    requireFields(req, { service: 'service', cluster: 'cluster', instance: 'instance' });
    const svc = this.soa.service(req.service);
    const i = svc.instances.find((x) => x.cluster === req.cluster && x.instance === req.instance);
    if (!i) {
      const has = svc.instances.map((x) => `${x.cluster}.${x.instance}`).join(', ') || '(none)';
      throw new NotFoundError(`${req.service} has no instance ${shown(req.instance)} on cluster ${shown(req.cluster)}; it has: ${has}`);
    }
    const actor = req.requestedBy || 'unknown';
    const key = `${i.cluster}.${i.instance}`;
    const answer = await this.db.database.em().transactional(async (em) => {
      const before = await em
        .getRepository(InstanceStateSchema)
        .put({ service: i.service, cluster: i.cluster, instance: i.instance, desiredState, changedBy: actor, changedAt: new Date().toISOString() });
      const mark = await em.getRepository(DeployMarkSchema).latestOf(i.service, i.deployGroup);
      if (before === desiredState) {
        return {
          desiredState,
          deployId: '',
          gitSha: mark?.gitSha ?? '',
          message: `${key} is already ${desiredState === 'stop' ? 'stopped' : 'started'}: nothing to do`,
        };
      }
      const deployId = mark ? await this.send(em, i, mark.image, mark.gitSha, desiredState, actor) : '';
      const message =
        (desiredState === 'stop'
          ? `${key} stopped: every replica is drained and stopped; later marks of ${i.deployGroup} are recorded but do not start it until orzo start`
          : `${key} started${mark ? ` at ${mark.gitSha.slice(0, 12)}, the current version of ${i.deployGroup}` : ''}`) +
        (mark ? '' : ` (${i.deployGroup} was never marked: nothing runs yet)`);
      await this.history.record(em, {
        service: i.service,
        kind: desiredState,
        deployGroup: i.deployGroup,
        gitSha: mark?.gitSha ?? '',
        actor,
        detail: message + (deployId ? ` (deploy ${deployId})` : ''),
      });
      return { desiredState, deployId, gitSha: mark?.gitSha ?? '', message };
    });
    await this.outbox.flush().catch(() => undefined);
    return answer;
  }

  /** The deploy.requested of one instance at its current version with a new desired state, in the outbox. */
  private async send(
    em: Parameters<OutboxRelay['enqueue']>[0],
    i: CompiledInstance,
    image: string,
    gitSha: string,
    desiredState: 'start' | 'stop',
    actor: string,
  ): Promise<string> {
    const deployId = randomUUID();
    await this.outbox.enqueue(em, createEnvelope(Subjects.DeployRequested, { source: 'control-api', correlationId: deployId }), {
      deployId,
      service: i.service,
      deployGroup: i.deployGroup,
      specs: [toInstanceSpec(i, image, gitSha, desiredState)],
      requestedBy: actor,
      reason: desiredState,
    });
    return deployId;
  }

  /** "<cluster>.<instance>" of the service's stopped instances. */
  stoppedOf(service: string): Promise<Set<string>> {
    return this.db.database.em().getRepository(InstanceStateSchema).stoppedOf(service);
  }
}
