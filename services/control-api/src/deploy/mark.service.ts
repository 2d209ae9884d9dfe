import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { DeployRequested, GIT_SHA, InstanceSpec, RpcSubjects, Subjects, api, createEnvelope, encodeEvent, imageFor, versionOf } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { CompiledInstance } from '@orzo/soa-config';
import { GrpcError } from './grpc-error';
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
      let answer: { exists?: boolean };
      try {
        const reply = await this.bus.connection.request(RpcSubjects.imageExists(cluster), JSON.stringify({ image }), { timeout: 3_000 });
        answer = reply.json();
      } catch {
        continue;
      }
      if (answer.exists === false) {
        throw GrpcError.invalid(`image ${image} does not exist on cluster ${cluster}'s engine: build it first (docker build -t ${image} ...) or mark an image that exists`);
      }
    }
  }

  async mark(req: api.MarkForDeploymentRequest): Promise<api.MarkForDeploymentResponse> {
    const problems: string[] = [];
    if (!req.service) problems.push('service is required');
    if (!req.deployGroup) problems.push('deploy_group is required');
    if (!req.image && !req.commitSha) problems.push('one of image or commit_sha is required');
    if (req.image && req.commitSha) problems.push('give image or commit_sha, not both');
    if (req.commitSha && !GIT_SHA.test(req.commitSha)) problems.push(`commit_sha "${req.commitSha}" is not a hex git sha (7-40 characters)`);
    if (req.image && !IMAGE.test(req.image)) problems.push(`image "${req.image}" is not an image reference`);
    if (problems.length) throw GrpcError.invalid(problems.join('; '));

    const svc = this.soa.service(req.service);
    const groups = svc.pipeline.filter((s) => s.deployGroup).map((s) => s.step);
    if (!groups.includes(req.deployGroup)) {
      throw GrpcError.notFound(`unknown deploy group ${req.deployGroup} of ${req.service}; its deploy.yaml pipeline has: ${groups.join(', ') || '(none)'}`);
    }
    const gitSha = req.commitSha || versionOf(req.image);
    const image = req.image || imageFor(this.soa.system.registry, req.service, req.commitSha);
    const affected = svc.instances.filter((i) => i.deployGroup === req.deployGroup);
    await this.assertImageExists(image, [...new Set(affected.map((i) => i.cluster))]);
    const deployId = randomUUID();
    const payload: DeployRequested = {
      deployId,
      service: req.service,
      deployGroup: req.deployGroup,
      specs: affected.map((i) => toInstanceSpec(i, image, gitSha)),
      requestedBy: req.requestedBy || 'unknown',
      reason: 'mark-for-deployment',
    };
    const envelope = createEnvelope(Subjects.DeployRequested, { source: 'control-api', correlationId: deployId });
    const now = new Date().toISOString();
    await this.db.database.em().transactional(async (em) => {
      await em.execute(
        'insert into control_deploy_mark (id, service, deploy_group, image, git_sha, requested_by, reason, event_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [deployId, req.service, req.deployGroup, image, gitSha, payload.requestedBy, payload.reason, envelope.id, now],
      );
      await em.execute('insert into control_outbox (id, subject, body, created_at) values (?, ?, ?, ?)', [envelope.id, envelope.type, Buffer.from(encodeEvent(envelope, payload)).toString('utf8'), now]);
    });
    // The mark is durable now; if NATS is unreachable the relay publishes it later.
    await this.outbox.flush().catch(() => undefined);
    return { deployId, image, instances: affected.map((i) => `${i.cluster}.${i.instance}`) };
  }
}
