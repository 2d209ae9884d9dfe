import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BusService, releaseOrdered } from '@orzo/bus';
import { BuildLogLine, BuildLogs, GIT_SHA, Rpcs, Subjects, api, createEnvelope, imageFor } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { InvalidArgumentError, NotFoundError, UnavailableError, isDomainError } from '@orzo/platform';
import { repositoryOf } from '@orzo/soa-config';
import { OutboxRelay } from '../deploys/outbox.relay';
import { missingFields, requireFields } from '../required-fields';
import { SoaConfigSource } from '../soa/soa-config.source';
import { Build, BuildSchema } from './build.entity';
import { shown } from '../shown';

/** A build id: one NATS subject token, as it names the build's log subject (builds get a UUID). */
const BUILD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** InvalidArgumentError unless a given build_id can be a build id. */
function checkBuildId(buildId: string): void {
  if (buildId && !BUILD_ID.test(buildId))
    throw new InvalidArgumentError(`build_id "${shown(buildId)}" is not a build id (letters, digits, - and _), e.g. 6f1a8b4e-3c0d-4f5e-9a7b-2c1d0e9f8a7b`);
}

/** Builds through the API: request (via the outbox), cancel (asks the builder), list, logs. */
@Injectable()
export class BuildService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly outbox: OutboxRelay,
    private readonly bus: BusService,
  ) {}

  async request(req: api.RequestBuildRequest): Promise<api.RequestBuildResponse> {
    const problems = missingFields(req, { service: 'service', commitSha: 'commit_sha' });
    if (req.commitSha && !GIT_SHA.test(req.commitSha)) problems.push(`commit_sha "${shown(req.commitSha)}" is not a hex git sha (7-40 characters, lower case)`);
    if (problems.length) throw new InvalidArgumentError(problems.join('; '));
    const svc = this.soa.service(req.service);
    const gitUrl = req.gitUrl || repositoryOf(svc);
    if (!gitUrl) throw new InvalidArgumentError(`no git_url: give one, or set git_url in ${req.service}/service.yaml`);
    const buildId = randomUUID();
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 'control-api', correlationId: buildId });
    const payload = {
      buildId,
      service: req.service,
      gitUrl,
      commitSha: req.commitSha,
      dockerfile: req.dockerfile,
      context: req.context,
      buildArgs: req.buildArgs ?? {},
      requestedBy: req.requestedBy || 'unknown',
      force: req.force,
      skipPipeline: req.skipPipeline,
    };
    await this.outbox.enqueue(this.db.database.em(), envelope, payload);
    await this.outbox.flush().catch(() => undefined);
    return { buildId, image: imageFor(this.soa.registryOf(svc), req.service, req.commitSha) };
  }

  async cancel(req: api.CancelBuildRequest, by = 'orzo-cli'): Promise<api.CancelBuildResponse> {
    requireFields(req, { buildId: 'build_id' });
    checkBuildId(req.buildId);
    let answer: { cancelled: boolean; state: string };
    try {
      answer = await this.bus.request(Rpcs.cancelBuild, { buildId: req.buildId, by }, { timeout: 5_000 });
    } catch (err) {
      // The builder's own refusals (invalid, not found) pass as they are; no answer is unavailability.
      if (isDomainError(err) && err.kind !== 'unavailable') throw err;
      throw new UnavailableError(`the builder did not answer (${(err as Error).message}); is it running?`);
    }
    if (answer.state === 'unknown') throw new NotFoundError(`no build ${shown(req.buildId)} is known to the builder`);
    return answer;
  }

  async list(req: api.ListBuildsRequest): Promise<api.ListBuildsResponse> {
    requireFields(req, { service: 'service' });
    this.soa.service(req.service);
    const builds = await this.db.database
      .em()
      .getRepository(BuildSchema)
      .latest(req.service, Math.min(Math.max(req.limit || 20, 1), 500));
    return { builds: builds.map(toSummary) };
  }

  /** The service a build belongs to, when the build view knows the build. */
  async serviceOfBuild(buildId: string): Promise<string | undefined> {
    if (!buildId) return undefined;
    return (await this.db.database.em().getRepository(BuildSchema).byId(buildId))?.service;
  }

  /** The build a log request means: the given id, else the service's latest. */
  async resolveBuild(req: api.GetBuildLogRequest): Promise<{ service: string; buildId: string }> {
    if (!req.service && !req.buildId) throw new InvalidArgumentError('service or build_id is required');
    checkBuildId(req.buildId);
    const builds = this.db.database.em().getRepository(BuildSchema);
    if (req.buildId) {
      const build = await builds.byId(req.buildId);
      if (build) return { service: build.service, buildId: build.buildId };
      // Just requested (its events are not in the view yet): its log subject is known all the same.
      if (req.service && req.follow) return { service: this.soa.service(req.service).name, buildId: req.buildId };
      throw new NotFoundError(`no build ${shown(req.buildId)}`);
    }
    this.soa.service(req.service);
    const [build] = await builds.latest(req.service, 1);
    if (!build) throw new NotFoundError(`no builds of ${req.service} yet`);
    return { service: build.service, buildId: build.buildId };
  }

  /**
   * Replays a build's log from the ORZO_BUILD_LOG stream; with follow, goes on live until the
   * build's last line. Stops early when `stopped()` says the caller went away.
   */
  async streamLog(
    service: string,
    buildId: string,
    follow: boolean,
    write: (line: BuildLogLine) => void,
    stopped: () => boolean,
    onStop: (stop: () => void) => void,
  ): Promise<void> {
    const subject = BuildLogs.subject(service, buildId);
    const nc = this.bus.connection;
    const jsm = await jetstreamManager(nc);
    const stored = (await jsm.streams.info(BuildLogs.stream, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
    if (!stored && !follow) return;
    const consumer = await jetstream(nc).consumers.get(BuildLogs.stream, { filter_subjects: subject });
    const messages = await consumer.consume();
    // The caller leaving or the last line, whichever comes first, deletes the reader's consumer.
    let released: Promise<void> | undefined;
    const release = () => (released ??= releaseOrdered(consumer, messages));
    onStop(() => void release());
    try {
      if (stopped()) return;
      let seen = 0;
      for await (const m of messages) {
        if (stopped()) break;
        const line = m.json<BuildLogLine>();
        write(line);
        seen++;
        if (line.end || (!follow && (m.info.pending === 0 || seen >= stored))) break;
      }
    } finally {
      // Not awaited: deleting the consumer can wait on the server; the reply is done.
      void release();
    }
  }
}

function toSummary(b: Build): api.BuildSummary {
  return {
    buildId: b.buildId,
    service: b.service,
    commitSha: b.commitSha,
    image: b.image,
    state: b.state,
    step: b.step ?? '',
    error: b.error ?? '',
    requestedBy: b.requestedBy,
    requestedAt: b.requestedAt,
    finishedAt: b.finishedAt ?? '',
  };
}
