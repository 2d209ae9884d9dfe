import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BusService, RpcFailedError } from '@orzo/bus';
import type { EntityManager as SqlEntityManager } from '@orzo/persistence';
import { DeployRequested, EnvelopeMeta, GIT_SHA, InstanceSpec, Rpcs, Subjects, api, createEnvelope, encodeEvent, imageFor, versionOf } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { UnavailableError } from '@orzo/platform';
import { CompiledInstance, CompiledService } from '@orzo/soa-config';
import { GrpcError, missingFields } from './grpc-error';
import { OutboxRelay } from './outbox';
import { SoaConfigSource } from './soa-config.source';

const IMAGE = /^[a-z0-9]([a-z0-9._\-/:@]*[a-z0-9])?$/i;

export function toInstanceSpec(i: CompiledInstance, image: string, gitSha: string): InstanceSpec {
  return {
    service: i.service,
    instance: i.instance,
    cluster: i.cluster,
    deployGroup: i.deployGroup,
    image,
    gitSha,
    configHash: i.configHash,
    replicas: i.replicas.instances,
    cpus: i.cpus,
    memMb: i.memMb,
    diskMb: i.diskMb,
    cmd: typeof i.cmd === 'string' ? i.cmd : '',
    args: Array.isArray(i.cmd) ? i.cmd : i.args,
    env: { ...i.env, ORZO_DOCKER_IMAGE: image, PAASTA_DOCKER_IMAGE: image, ORZO_GIT_SHA: gitSha, PAASTA_GIT_SHA: gitSha },
    containerPort: i.containerPort,
    healthcheck: {
      mode: i.healthcheck.mode,
      uri: i.healthcheck.uri,
      cmd: i.healthcheck.cmd ?? '',
      gracePeriodSeconds: i.healthcheck.gracePeriodSeconds,
      intervalSeconds: i.healthcheck.intervalSeconds,
      timeoutSeconds: i.healthcheck.timeoutSeconds,
      maxConsecutiveFailures: i.healthcheck.maxConsecutiveFailures,
    },
    bounce: {
      method: i.bounce.method,
      marginFactor: i.bounce.marginFactor,
      overprovisionFactor: i.bounce.overprovisionFactor,
      drainMethod: i.bounce.drainMethod,
      drainDelaySeconds: i.bounce.drainDelaySeconds,
      terminationGracePeriodSeconds: i.bounce.terminationGracePeriodSeconds,
    },
    registrations: i.registrations.map((r) => r.name),
    desiredState: 'start',
    forceBounce: '',
    registrationDetails: i.registrations.map((r) => ({
      name: r.name,
      proxyPort: r.proxyPort ?? 0,
      mode: r.mode,
      healthcheckUri: r.healthcheckUri,
      timeoutConnectMs: r.timeoutConnectMs,
      timeoutServerMs: r.timeoutServerMs,
      retries: r.retries,
    })),
    weight: i.weight,
  };
}

/**
 * mark-for-deployment: checks the request against the soa-configs, records the mark in the
 * append-only history and the deploy.requested event (the complete spec of every affected
 * instance) in one transaction, then publishes through the outbox.
 */
@Injectable()
export class MarkService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly outbox: OutboxRelay,
    private readonly bus: BusService,
  ) {}

  /**
   * Asks the scheduler-bridge of each cluster whether the image exists there. A cluster whose
   * bridge does not answer is not checked (it deploys when it comes back; a missing image then
   * fails that deploy with its reason).
   */
  private async assertImageExists(image: string, clusters: string[]): Promise<void> {
    for (const cluster of clusters) {
      let answer: { exists: boolean };
      try {
        answer = await this.bus.request(Rpcs.imageExists(cluster), { image }, { timeout: 3_000 });
      } catch (err) {
        // No bridge of that cluster answered (or its engine did not): the deploy will say.
        if (err instanceof UnavailableError || err instanceof RpcFailedError) continue;
        throw err;
      }
      if (!answer.exists) {
        throw GrpcError.invalid(
          `image ${image} does not exist on cluster ${cluster}'s engine: build it first (docker build -t ${image} ...) or mark an image that exists`,
        );
      }
    }
  }

  async mark(req: api.MarkForDeploymentRequest): Promise<api.MarkForDeploymentResponse> {
    const problems = missingFields(req, { service: 'service', deployGroup: 'deploy_group' });
    if (!req.image && !req.commitSha) problems.push('one of image or commit_sha is required');
    if (req.image && req.commitSha) problems.push('give image or commit_sha, not both');
    if (req.commitSha && !GIT_SHA.test(req.commitSha)) problems.push(`commit_sha "${req.commitSha}" is not a hex git sha (7-40 characters)`);
    if (req.image && !IMAGE.test(req.image)) problems.push(`image "${req.image}" is not an image reference`);
    if (problems.length) throw GrpcError.invalid(problems.join('; '));
    const svc = this.soa.service(req.service);
    const image = req.image || imageFor(this.soa.registryOf(svc), req.service, req.commitSha);
    const prepared = await this.prepare(svc, {
      service: req.service,
      deployGroup: req.deployGroup,
      image,
      gitSha: req.commitSha || versionOf(req.image),
      requestedBy: req.requestedBy || 'unknown',
      reason: 'mark-for-deployment',
    });
    await this.db.database.em().transactional((em) => this.record(em, prepared, 'mark'));
    // The mark is durable now; if NATS is unreachable the relay publishes it later.
    await this.outbox.flush().catch(() => undefined);
    return { deployId: prepared.payload.deployId, image, instances: prepared.instances };
  }

  /** Checks a mark of a service (as just read from soa-configs) against its pipeline and the engines; builds its deploy.requested. */
  async prepare(svc: CompiledService, m: MarkRequest): Promise<PreparedMark> {
    const groups = svc.pipeline.filter((s) => s.deployGroup).map((s) => s.step);
    if (!groups.includes(m.deployGroup)) {
      throw GrpcError.notFound(`unknown deploy group ${m.deployGroup} of ${m.service}; its deploy.yaml pipeline has: ${groups.join(', ') || '(none)'}`);
    }
    const affected = svc.instances.filter((i) => i.deployGroup === m.deployGroup);
    await this.assertImageExists(m.image, [...new Set(affected.map((i) => i.cluster))]);
    const deployId = randomUUID();
    return {
      request: m,
      payload: {
        deployId,
        service: m.service,
        deployGroup: m.deployGroup,
        specs: affected.map((i) => toInstanceSpec(i, m.image, m.gitSha)),
        requestedBy: m.requestedBy,
        reason: m.reason,
      },
      envelope: createEnvelope(Subjects.DeployRequested, { source: 'control-api', correlationId: m.correlationId ?? deployId }),
      instances: affected.map((i) => `${i.cluster}.${i.instance}`),
    };
  }

  /**
   * Writes a prepared mark in the caller's transaction: the append-only mark, one progress row
   * per affected instance (the pipeline advances when all completed), the history entry and
   * the deploy.requested event in the outbox.
   */
  async record(em: SqlEntityManager, p: PreparedMark, kind: 'mark' | 'promote'): Promise<void> {
    const now = new Date().toISOString();
    const { request: m, payload, envelope } = p;
    await em.execute(
      'insert into control_deploy_mark (id, service, deploy_group, image, git_sha, requested_by, reason, event_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [payload.deployId, m.service, m.deployGroup, m.image, m.gitSha, m.requestedBy, m.reason, envelope.id, now],
    );
    for (const key of p.instances)
      await em.execute("insert into control_deploy_instance (deploy_id, instance_key, state) values (?, ?, 'requested')", [payload.deployId, key]);
    await recordHistory(em, {
      service: m.service,
      kind,
      deployGroup: m.deployGroup,
      gitSha: m.gitSha,
      actor: m.requestedBy,
      detail: `${m.image} (deploy ${payload.deployId}) to ${p.instances.join(', ') || 'no instances'}`,
    });
    await em.execute('insert into control_outbox (id, subject, body, created_at) values (?, ?, ?, ?)', [
      envelope.id,
      envelope.type,
      Buffer.from(encodeEvent(envelope, payload)).toString('utf8'),
      now,
    ]);
  }
}

export interface MarkRequest {
  service: string;
  deployGroup: string;
  image: string;
  gitSha: string;
  requestedBy: string;
  /** mark-for-deployment | pipeline */
  reason: string;
  correlationId?: string;
}

export interface PreparedMark {
  request: MarkRequest;
  payload: DeployRequested;
  envelope: EnvelopeMeta & { type: typeof Subjects.DeployRequested };
  /** "<cluster>.<instance>" of every affected instance. */
  instances: string[];
}

export interface HistoryEntry {
  service: string;
  kind: 'mark' | 'promote' | 'skip' | 'wait' | 'build' | 'blocked' | 'failed' | 'done';
  deployGroup: string;
  gitSha: string;
  detail: string;
  actor: string;
}

let historySeq = 0;

/** Appends to a service's history (marks, promotions, skips, waits). */
export async function recordHistory(em: SqlEntityManager, h: HistoryEntry): Promise<void> {
  const at = new Date().toISOString();
  // Ordered by id: entries written in the same millisecond keep the order they were written in.
  const id = `${at}#${String(++historySeq % 1e6).padStart(6, '0')}#${randomUUID().slice(0, 8)}`;
  await em.execute('insert into control_history (id, service, at, kind, deploy_group, git_sha, detail, actor) values (?, ?, ?, ?, ?, ?, ?, ?)', [
    id,
    h.service,
    at,
    h.kind,
    h.deployGroup,
    h.gitSha,
    h.detail,
    h.actor,
  ]);
}
