import { Inject, Injectable } from '@nestjs/common';
import { BusService, PublishResult } from '@orzo/bus';
import { Subjects } from '@orzo/contracts';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { repositoryOf } from '@orzo/soa-config';
import { Delivery, DeliveryAction, deterministicUuid } from './delivery';
import { DeliveryRepository } from './persistence/delivery.repository';
import type { JenkinsHookConfig } from './config';
import { HookError } from './hook-error';
import { ServiceDirectory } from './service-directory';

/** The HTTP answer to an accepted or repeated delivery. */
export interface DeliveryOutcome {
  status: 200 | 202;
  body: Record<string, unknown>;
}

/**
 * Turns a validated delivery into at most one build event. Order: a recorded key is a
 * duplicate; else publish with an id derived from the key, then record the key. A crash or a
 * lost answer between the two makes the retry publish the same id again, which JetStream's
 * duplicate window and the consumers' processed-event tables drop.
 */
@Injectable()
export class DeliveryService {
  constructor(
    private readonly services: ServiceDirectory,
    private readonly deliveries: DeliveryRepository,
    private readonly bus: BusService,
    @Inject(SERVICE_CONFIG) private readonly config: JenkinsHookConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(delivery: Delivery): Promise<DeliveryOutcome> {
    const service = this.services.service(delivery.service, delivery.serviceFrom);
    const gitUrl = delivery.gitUrl || repositoryOf(service);
    if (delivery.acts && !delivery.image && !gitUrl) {
      throw HookError.badRequest(
        `no git URL to build ${delivery.service} from: send the repository (build.scm.url, or git_url) or set git_url in its service.yaml`,
      );
    }
    const log = this.logger.child({
      deliveryKey: delivery.key,
      targetService: delivery.service,
      job: delivery.job ?? undefined,
      buildNumber: delivery.number ?? undefined,
      phase: delivery.phase ?? undefined,
    });
    if (await this.deliveries.exists(delivery.key)) {
      log.info('delivery already accepted; ignoring the repeat');
      return duplicate(delivery);
    }
    const receivedAt = new Date().toISOString();
    if (!delivery.acts) {
      const detail = delivery.note;
      const inserted = await this.deliveries.insert({ ...this.record(delivery, 'recorded', null, receivedAt), detail });
      if (!inserted) return duplicate(delivery);
      log.info({ status: delivery.status ?? undefined }, `recorded ${delivery.key}: ${detail}`);
      return {
        status: 202,
        body: { accepted: true, action: 'recorded', key: delivery.key, service: delivery.service, phase: delivery.phase, status: delivery.status, detail },
      };
    }

    const buildId = deterministicUuid('orzo.jenkins-hook.build', delivery.key);
    const eventId = deterministicUuid('orzo.jenkins-hook.event', delivery.key);
    const envelope = { id: eventId, correlationId: buildId };
    const action: DeliveryAction = delivery.image ? 'image-built' : 'build-requested';
    const subject = delivery.image ? Subjects.BuildImageBuilt : Subjects.BuildRequested;
    let published: PublishResult;
    try {
      published = await this.withTimeout(
        delivery.image
          ? this.bus.publish(
              Subjects.BuildImageBuilt,
              {
                buildId,
                service: delivery.service,
                commitSha: delivery.commitSha,
                image: delivery.image,
                imageId: '',
                digest: '',
                external: true,
                skipPipeline: false,
              },
              envelope,
            )
          : this.bus.publish(
              Subjects.BuildRequested,
              {
                buildId,
                service: delivery.service,
                gitUrl,
                commitSha: delivery.commitSha,
                dockerfile: delivery.dockerfile,
                context: delivery.context,
                buildArgs: {},
                requestedBy: delivery.requestedBy,
                force: false,
                skipPipeline: false,
              },
              envelope,
            ),
      );
    } catch (err) {
      log.error({ err, eventId, correlationId: buildId, subject }, `could not publish ${subject}; the delivery is not recorded, so a retry will act`);
      throw HookError.unavailable(`the event bus is unavailable (${(err as Error).message}); nothing was recorded: retry the delivery`);
    }
    const detail = delivery.image
      ? `${subject} ${delivery.service} at ${delivery.commitSha}: ${delivery.image} built outside Orzo`
      : `${subject} ${delivery.service} at ${delivery.commitSha} from ${gitUrl}`;
    const inserted = await this.deliveries.insert({
      ...this.record(delivery, action, eventId, receivedAt),
      detail: delivery.note ? `${detail} (${delivery.note})` : detail,
    });
    log.info({ eventId, correlationId: buildId, subject, seq: published.seq, duplicateOnBus: published.duplicate }, `${delivery.key}: published ${subject}`);
    if (!inserted) return duplicate(delivery);
    return {
      status: 202,
      body: {
        accepted: true,
        action,
        key: delivery.key,
        service: delivery.service,
        commitSha: delivery.commitSha,
        buildId,
        eventId,
        ...(delivery.image ? { image: delivery.image } : { gitUrl }),
      },
    };
  }

  private record(delivery: Delivery, action: DeliveryAction, eventId: string | null, receivedAt: string) {
    return {
      key: delivery.key,
      service: delivery.service,
      job: delivery.job,
      number: delivery.number,
      phase: delivery.phase,
      status: delivery.status,
      action,
      eventId,
      receivedAt,
    };
  }

  /** Jenkins gives up after 30s; answer 503 before that rather than hold it while NATS is away. */
  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.config.ORZO_WEBHOOK_PUBLISH_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no acknowledgement from NATS within ${ms}ms`)), ms);
    });
    // The publish may still complete after the timeout: same id, so the retry's copy is dropped.
    promise.catch(() => undefined);
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

function duplicate(delivery: Delivery): DeliveryOutcome {
  return { status: 200, body: { duplicate: true, key: delivery.key, service: delivery.service } };
}
