import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BusService, RpcFailedError } from '@orzo/bus';
import { DeployRequested, EnvelopeMeta, GIT_SHA, Rpcs, Subjects, api, createEnvelope, imageFor, versionOf } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '@orzo/platform';
import { CompiledService } from '@orzo/soa-config';
import type { DeployMark } from '../history/deploy-mark.entity';
import type { HistoryKind } from '../history/history-entry.entity';
import { InstanceStateSchema } from '../instance-state/instance-state.entity';
import { HistoryService } from '../history/history.service';
import { missingFields } from '../required-fields';
import { InstanceOverrides } from '../scaling/instance-overrides.service';
import { SecretStore } from '../secrets/secret-store';
import { SoaConfigSource } from '../soa/soa-config.source';
import { JobsService } from '../jobs/jobs.service';
import { DeployInstanceSchema } from './deploy-instance.entity';
import { toInstanceSpec } from './instance-spec';
import { OutboxRelay } from './outbox.relay';
import { shown } from '../shown';

const IMAGE = /^[a-z0-9]([a-z0-9._\-/:@]*[a-z0-9])?$/i;

/**
 * mark-for-deployment: checks the request against the soa-configs, records the mark in the
 * append-only history and the deploy.requested event (the complete spec of every affected
 * instance) in one transaction, then publishes through the outbox. Also keeps each deploy's
 * per-instance progress, which tells the pipeline when a deploy group is done.
 */
@Injectable()
export class MarkService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly outbox: OutboxRelay,
    private readonly history: HistoryService,
    private readonly bus: BusService,
    private readonly overrides: InstanceOverrides,
    private readonly secrets: SecretStore,
    private readonly jobs: JobsService,
  ) {}

  /**
   * Asks the scheduler-bridge of each cluster whether the image exists there. A cluster whose
   * bridge does not answer is not checked (it deploys when it comes back; a missing image then
   * fails that deploy with its reason).
   */
  private async assertImageExists(image: string, clusters: string[]): Promise<void> {
    // Every cluster asked at once; the first one without the image (in the given order) is the error.
    const answers = await Promise.all(
      clusters.map((cluster) =>
        this.bus.request(Rpcs.imageExists(cluster), { image }, { timeout: 3_000 }).then(
          (a) => a.exists,
          (err: unknown) => {
            // No bridge of that cluster answered (or its engine did not): the deploy will say.
            if (err instanceof UnavailableError || err instanceof RpcFailedError) return true;
            throw err;
          },
        ),
      ),
    );
    const missing = clusters.find((_, i) => !answers[i]);
    if (missing !== undefined) {
      throw new InvalidArgumentError(
        `image ${image} does not exist on cluster ${missing}'s engine: build it first (docker build -t ${image} ...) or mark an image that exists`,
      );
    }
  }

  async mark(req: api.MarkForDeploymentRequest): Promise<api.MarkForDeploymentResponse> {
    const problems = missingFields(req, { service: 'service', deployGroup: 'deploy_group' });
    if (!req.image && !req.commitSha) problems.push('one of image or commit_sha is required');
    if (req.image && req.commitSha) problems.push('give image or commit_sha, not both');
    if (req.commitSha && !GIT_SHA.test(req.commitSha)) problems.push(`commit_sha "${shown(req.commitSha)}" is not a hex git sha (7-40 characters)`);
    if (req.image && !IMAGE.test(req.image)) problems.push(`image "${shown(req.image)}" is not an image reference`);
    if (problems.length) throw new InvalidArgumentError(problems.join('; '));
    const svc = this.soa.service(req.service);
    const image = req.image || imageFor(this.soa.registryOf(svc), req.service, req.commitSha);
    const prepared = await this.prepare(svc, {
      service: req.service,
      deployGroup: req.deployGroup,
      image,
      gitSha: req.commitSha || versionOf(req.image),
      requestedBy: req.requestedBy || 'unknown',
      reason: 'mark-for-deployment',
      // --auto-rollback, or the group's deploy.yaml step says auto_rollback: true.
      autoRollback: req.autoRollback || svc.pipeline.some((s) => s.step === req.deployGroup && s.autoRollback),
    });
    await this.db.database.em().transactional((em) => this.record(em, prepared, 'mark'));
    // The mark is durable now; if NATS is unreachable the relay publishes it later.
    await this.outbox.flush().catch(() => undefined);
    return { deployId: prepared.payload.deployId, image, instances: prepared.instances, stoppedInstances: prepared.stopped };
  }

  /**
   * Checks a mark of a service (as just read from soa-configs) against its pipeline and the
   * engines; builds its deploy.requested. Reads on `em`: a caller inside a transaction passes
   * its own (SQLite has one connection).
   */
  async prepare(svc: CompiledService, m: MarkRequest, em: EntityManager = this.db.database.em()): Promise<PreparedMark> {
    const groups = svc.pipeline.filter((s) => s.deployGroup).map((s) => s.step);
    if (!groups.includes(m.deployGroup)) {
      throw new NotFoundError(`unknown deploy group ${shown(m.deployGroup)} of ${m.service}; its deploy.yaml pipeline has: ${groups.join(', ') || '(none)'}`);
    }
    const affected = svc.instances.filter((i) => i.deployGroup === m.deployGroup);
    // The engines' answer and the database's, at once (the image check is a round trip to each cluster's bridge).
    const [, stoppedNow] = await Promise.all([
      this.assertImageExists(m.image, [...new Set(affected.map((i) => i.cluster))]),
      // A stopped instance gets the new version but stays stopped until orzo start.
      em.getRepository(InstanceStateSchema).stoppedOf(m.service),
    ]);
    const deployId = randomUUID();
    const key = (i: { cluster: string; instance: string }) => `${i.cluster}.${i.instance}`;
    return {
      request: m,
      payload: {
        deployId,
        service: m.service,
        deployGroup: m.deployGroup,
        // SECRET(name) stays a reference in the event; the secrets' versions go into the config hash.
        specs: await this.secrets.stamp(
          affected.map((i) => toInstanceSpec(i, m.image, m.gitSha, stoppedNow.has(key(i)) ? 'stop' : 'start')),
          em,
        ),
        requestedBy: m.requestedBy,
        reason: m.reason,
      },
      envelope: createEnvelope(Subjects.DeployRequested, { source: 'control-api', correlationId: m.correlationId ?? deployId }),
      instances: affected.map(key),
      stopped: affected.map(key).filter((k) => stoppedNow.has(k)),
    };
  }

  /**
   * Writes a prepared mark in the caller's transaction: the append-only mark, one progress row
   * per affected instance (the pipeline advances when all completed), the history entry and
   * the deploy.requested event in the outbox.
   */
  async record(em: EntityManager, p: PreparedMark, kind: Extract<HistoryKind, 'mark' | 'promote' | 'rollback'>, note = ''): Promise<void> {
    const { request: m, payload, envelope } = p;
    await this.history.recordMark(em, {
      id: payload.deployId,
      service: m.service,
      deployGroup: m.deployGroup,
      image: m.image,
      gitSha: m.gitSha,
      requestedBy: m.requestedBy,
      reason: m.reason,
      autoRollback: m.autoRollback ?? false,
      eventId: envelope.id,
      createdAt: new Date().toISOString(),
    });
    // A stopped instance is not waited for: it converges to stopped, which completes nothing.
    await em.getRepository(DeployInstanceSchema).requested(payload.deployId, awaitedOf(p));
    await this.history.record(em, {
      service: m.service,
      kind,
      deployGroup: m.deployGroup,
      gitSha: m.gitSha,
      actor: m.requestedBy,
      detail:
        `${m.image} (deploy ${payload.deployId}) to ${p.instances.join(', ') || 'no instances'}` +
        (p.stopped.length ? `; ${p.stopped.join(', ')} stopped (orzo stop): it runs this version after orzo start` : '') +
        (m.autoRollback ? '; auto_rollback on failure' : '') +
        (note ? `; ${note}` : ''),
    });
    // A scale override and the restart token outlive marks (orzo autoscale, orzo restart); read
    // in the caller's transaction (SQLite has one connection: a fresh one would wait for it).
    await this.outbox.enqueue(em, envelope, { ...payload, specs: await this.overrides.apply(payload.specs, em) });
    // Jobs run their deploy group's current version: the schedulers get it with the mark.
    await this.jobs.markRecorded(em, this.soa.service(m.service), m.deployGroup, `${kind} of ${m.deployGroup} to ${m.gitSha || m.image}`);
  }

  /**
   * Records that one instance of a deploy completed; true for the one completion (of however
   * many, redelivered or racing) after which every instance of the deploy has completed.
   */
  /** Records that one instance of a deploy failed (it stays open: the pipeline does not go on from it). */
  async recordFailure(em: EntityManager, deployId: string, instanceKey: string, reason: string): Promise<void> {
    await em.getRepository(DeployInstanceSchema).fail(deployId, instanceKey, reason);
  }

  async recordCompletion(em: EntityManager, deployId: string, instanceKey: string): Promise<boolean> {
    const progress = em.getRepository(DeployInstanceSchema);
    if ((await progress.complete(deployId, instanceKey)) > 0) return false;
    return progress.claimAdvance(deployId);
  }
}

/** A mark to record: the deploy mark without what recording it assigns (id, event, time). */
export type MarkRequest = Omit<DeployMark, 'id' | 'eventId' | 'createdAt'> & { correlationId?: string };

export interface PreparedMark {
  request: MarkRequest;
  payload: DeployRequested;
  envelope: EnvelopeMeta & { type: typeof Subjects.DeployRequested };
  /** "<cluster>.<instance>" of every affected instance. */
  instances: string[];
  /** Of those, the ones stopped with orzo stop (they are sent the version, stopped). */
  stopped: string[];
}

/** The instances whose deploy a mark waits for: the affected ones that are not stopped. */
export function awaitedOf(p: Pick<PreparedMark, 'instances' | 'stopped'>): string[] {
  return p.instances.filter((k) => !p.stopped.includes(k));
}
