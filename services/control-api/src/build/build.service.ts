import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { BuildLogLine, BuildLogs, GIT_SHA, Rpcs, Subjects, api, createEnvelope, encodeEvent, imageFor } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { InvalidArgumentError, NotFoundError } from '@orzo/platform';
import { repositoryOf } from '@orzo/soa-config';
import { GrpcError, missingFields, requireFields } from '../deploy/grpc-error';
import { OutboxRelay } from '../deploy/outbox';
import { SoaConfigSource } from '../deploy/soa-config.source';

interface BuildRow {
  build_id: string;
  service: string;
  commit_sha: string;
  image: string;
  state: string;
  step: string | null;
  error: string | null;
  requested_by: string;
  requested_at: string;
  finished_at: string | null;
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
    if (req.commitSha && !GIT_SHA.test(req.commitSha)) problems.push(`commit_sha "${req.commitSha}" is not a hex git sha (7-40 characters, lower case)`);
    if (problems.length) throw GrpcError.invalid(problems.join('; '));
    const svc = this.soa.service(req.service);
    const gitUrl = req.gitUrl || repositoryOf(svc);
    if (!gitUrl) throw GrpcError.invalid(`no git_url: give one, or set git_url in ${req.service}/service.yaml`);
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
    await this.db.database
      .em()
      .execute('insert into control_outbox (id, subject, body, created_at) values (?, ?, ?, ?)', [
        envelope.id,
        envelope.type,
        Buffer.from(encodeEvent(envelope, payload)).toString('utf8'),
        new Date().toISOString(),
      ]);
    await this.outbox.flush().catch(() => undefined);
    return { buildId, image: imageFor(this.soa.registryOf(svc), req.service, req.commitSha) };
  }

  async cancel(req: api.CancelBuildRequest, by = 'orzo-cli'): Promise<api.CancelBuildResponse> {
    requireFields(req, { buildId: 'build_id' });
    let answer: { cancelled: boolean; state: string };
    try {
      answer = await this.bus.request(Rpcs.cancelBuild, { buildId: req.buildId, by }, { timeout: 5_000 });
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw GrpcError.invalid(err.message);
      if (err instanceof NotFoundError) throw GrpcError.notFound(err.message);
      throw GrpcError.unavailable(`the builder did not answer (${(err as Error).message}); is it running?`);
    }
    if (answer.state === 'unknown') throw GrpcError.notFound(`no build ${req.buildId} is known to the builder`);
    return answer;
  }

  async list(req: api.ListBuildsRequest): Promise<api.ListBuildsResponse> {
    requireFields(req, { service: 'service' });
    this.soa.service(req.service);
    const rows = await this.db.database
      .em()
      .execute<BuildRow[]>('select * from control_build where service = ? order by requested_at desc, build_id limit ?', [
        req.service,
        Math.min(Math.max(req.limit || 20, 1), 500),
      ]);
    return { builds: rows.map(toSummary) };
  }

  /** The build a log request means: the given id, else the service's latest. */
  async resolveBuild(req: api.GetBuildLogRequest): Promise<{ service: string; buildId: string }> {
    if (!req.service && !req.buildId) throw GrpcError.invalid('service or build_id is required');
    const em = this.db.database.em();
    if (req.buildId) {
      const row = (await em.execute<BuildRow[]>('select * from control_build where build_id = ?', [req.buildId]))[0];
      if (row) return { service: row.service, buildId: row.build_id };
      // Just requested (its events are not in the view yet): its log subject is known all the same.
      if (req.service && req.follow) return { service: this.soa.service(req.service).name, buildId: req.buildId };
      throw GrpcError.notFound(`no build ${req.buildId}`);
    }
    this.soa.service(req.service);
    const row = (await em.execute<BuildRow[]>('select * from control_build where service = ? order by requested_at desc, build_id limit 1', [req.service]))[0];
    if (!row) throw GrpcError.notFound(`no builds of ${req.service} yet`);
    return { service: row.service, buildId: row.build_id };
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
    onStop(() => void messages.stop());
    let seen = 0;
    for await (const m of messages) {
      if (stopped()) break;
      const line = m.json<BuildLogLine>();
      write(line);
      seen++;
      if (line.end || (!follow && (m.info.pending === 0 || seen >= stored))) break;
    }
    // Not awaited: closing an ordered consumer can wait on the server; the reply is done.
    void messages.close().catch(() => undefined);
  }

  async latestDeployment(req: api.GetLatestDeploymentRequest): Promise<api.GetLatestDeploymentResponse> {
    requireFields(req, { service: 'service', deployGroup: 'deploy_group' });
    const svc = this.soa.service(req.service);
    if (!svc.pipeline.some((s) => s.deployGroup && s.step === req.deployGroup))
      throw GrpcError.notFound(`unknown deploy group ${req.deployGroup} of ${req.service}`);
    const row = (
      await this.db.database
        .em()
        .execute<Array<{ id: string; image: string; git_sha: string; requested_by: string; reason: string; created_at: string }>>(
          'select * from control_deploy_mark where service = ? and deploy_group = ? order by created_at desc limit 1',
          [req.service, req.deployGroup],
        )
    )[0];
    if (!row) throw GrpcError.notFound(`${req.service} deploy group ${req.deployGroup} was never marked`);
    return { image: row.image, gitSha: row.git_sha, deployId: row.id, requestedBy: row.requested_by, reason: row.reason, markedAt: row.created_at };
  }

  async history(req: api.GetHistoryRequest): Promise<api.GetHistoryResponse> {
    requireFields(req, { service: 'service' });
    this.soa.service(req.service);
    const rows = await this.db.database
      .em()
      .execute<Array<{ at: string; kind: string; deploy_group: string; git_sha: string; detail: string; actor: string }>>(
        'select * from control_history where service = ? order by id desc limit ?',
        [req.service, Math.min(Math.max(req.limit || 50, 1), 1000)],
      );
    return { entries: rows.map((r) => ({ at: r.at, kind: r.kind, deployGroup: r.deploy_group, gitSha: r.git_sha, detail: r.detail, actor: r.actor })) };
  }
}

function toSummary(r: BuildRow): api.BuildSummary {
  return {
    buildId: r.build_id,
    service: r.service,
    commitSha: r.commit_sha,
    image: r.image,
    state: r.state,
    step: r.step ?? '',
    error: r.error ?? '',
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    finishedAt: r.finished_at ?? '',
  };
}
