import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Metadata, Server, ServerUnaryCall, ServerWritableStream, sendUnaryData, status } from '@grpc/grpc-js';
import { api } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { AlertsService } from '../alerts/alerts.service';
import { AccessGate } from '../access/access-gate';
import type { Need } from '../access/scopes';
import type { Caller } from '../access/token.service';
import { TokenAdminService } from '../access/token-admin.service';
import { BuildService } from '../builds/build.service';
import type { ControlApiConfig } from '../config';
import { ConfigApplyService } from '../config-apply/config-apply.service';
import { DeadLettersService } from '../dead-letters/dead-letters.service';
import { MarkService } from '../deploys/mark.service';
import { EventWatchService } from '../events/event-watch.service';
import { HistoryService } from '../history/history.service';
import { JobsService } from '../jobs/jobs.service';
import { InstanceStateService } from '../instance-state/instance-state.service';
import { DeploymentsService } from '../rollback/deployments.service';
import { RollbackService } from '../rollback/rollback.service';
import { InstanceLogsService } from '../logs/instance-logs.service';
import { RemoteRunService } from '../remote-run/remote-run.service';
import { AutoscaleService } from '../scaling/autoscale.service';
import { RestartService } from '../scaling/restart.service';
import { SecretsService } from '../secrets/secrets.service';
import { SoaConfigSource } from '../soa/soa-config.source';
import { StatusService } from '../status/status.service';
import { listenerSecurity } from './grpc-credentials';
import { GrpcHealth } from './grpc-health';
import { CallStatus, callStatusOf } from './grpc-status';
import { decodingLeniently, refuseMalformed } from './malformed-request';
import { refuseOverLimits } from './request-limits';

/** What a method needs of the caller's token, from its (validated) request. */
type NeedOf<Req> = (req: Req) => Need | Promise<Need> | 'any-token';
const read: NeedOf<unknown> = () => ({ verb: 'read' });
const admin: NeedOf<unknown> = () => ({ verb: 'admin' });
const anyToken: NeedOf<unknown> = () => 'any-token';
const onService =
  (verb: Need['verb']) =>
  (req: { service: string }): Need => ({ verb, service: req.service });

/**
 * The ControlApi gRPC server (ts-proto + @grpc/grpc-js), beside the service's HTTP /healthz: the
 * only code that knows gRPC. Every method first passes the access gate (a bearer token whose
 * scopes cover the method and the service it names: access/), then calls one service; the
 * actor a method records is the token's name, whatever the request says. A domain error
 * becomes its status code (grpc-status.ts), anything else INTERNAL with the error logged.
 * Request bytes that are not a message of the method's type, and fields too big for an event
 * or holding a NUL, are refused as INVALID_ARGUMENT (malformed-request.ts, request-limits.ts).
 * grpc.health.v1 and server reflection are served beside it without a token (grpc-health.ts).
 */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;
  private boundPort = 0;
  private healthService?: GrpcHealth;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ControlApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly marks: MarkService,
    private readonly statuses: StatusService,
    private readonly builds: BuildService,
    private readonly history: HistoryService,
    private readonly health: HealthRegistry,
    private readonly deadLetters: DeadLettersService,
    private readonly alerts: AlertsService,
    private readonly rollbacks: RollbackService,
    private readonly deployments: DeploymentsService,
    private readonly instanceStates: InstanceStateService,
    private readonly restarts: RestartService,
    private readonly autoscaler: AutoscaleService,
    private readonly instanceLogs: InstanceLogsService,
    private readonly gate: AccessGate,
    private readonly tokenAdmin: TokenAdminService,
    private readonly events: EventWatchService,
    private readonly soa: SoaConfigSource,
    private readonly jobs: JobsService,
    private readonly remoteRuns: RemoteRunService,
    private readonly secrets: SecretsService,
    private readonly configApply: ConfigApplyService,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const security = listenerSecurity(this.config, this.soa.system.api);
    const server = new Server();
    const deploy = onService('deploy');
    const build = onService('build');
    const operate = onService('operate');
    const impl: api.ControlApiServer = {
      markForDeployment: this.unary('MarkForDeployment', deploy, (req: api.MarkForDeploymentRequest) => this.marks.mark(req)),
      getStatus: this.unary('GetStatus', read, (req: api.GetStatusRequest) => this.statuses.status(req)),
      listServices: this.unary('ListServices', read, () => this.statuses.listServices()),
      requestBuild: this.unary('RequestBuild', build, (req: api.RequestBuildRequest) => this.builds.request(req)),
      cancelBuild: this.unary(
        'CancelBuild',
        async (req: api.CancelBuildRequest) => ({ verb: 'build', service: await this.builds.serviceOfBuild(req.buildId) }),
        (req: api.CancelBuildRequest, caller) => this.builds.cancel(req, caller.name),
      ),
      listBuilds: this.unary('ListBuilds', read, (req: api.ListBuildsRequest) => this.builds.list(req)),
      getBuildLog: this.stream('GetBuildLog', read, (call: ServerWritableStream<api.GetBuildLogRequest, api.BuildLogLine>, req, gone, onStop) =>
        this.buildLog(call, req, gone, onStop),
      ),
      getLatestDeployment: this.unary('GetLatestDeployment', read, (req: api.GetLatestDeploymentRequest) => this.history.latestDeployment(req)),
      getHistory: this.unary('GetHistory', read, (req: api.GetHistoryRequest) => this.history.history(req)),
      listDeadLetters: this.unary('ListDeadLetters', read, (req: api.ListDeadLettersRequest) => this.deadLetters.list(req)),
      createToken: this.unary('CreateToken', admin, (req: api.CreateTokenRequest, caller) => this.tokenAdmin.create(req, caller)),
      listTokens: this.unary('ListTokens', admin, (req: api.ListTokensRequest) => this.tokenAdmin.list(req)),
      revokeToken: this.unary('RevokeToken', admin, (req: api.RevokeTokenRequest) => this.tokenAdmin.revoke(req)),
      whoAmI: this.unary('WhoAmI', anyToken, (_req: api.WhoAmIRequest, caller) => this.tokenAdmin.whoAmI(caller)),
      watchEvents: this.stream('WatchEvents', read, (call: ServerWritableStream<api.WatchEventsRequest, api.WatchedEvent>, req, gone, onStop) =>
        this.events.watch(req, (e) => call.write(e), gone, onStop),
      ),
      listAlerts: this.unary('ListAlerts', read, (req: api.ListAlertsRequest) => this.alerts.list(req)),
      rollback: this.unary('Rollback', operate, (req: api.RollbackRequest) => this.rollbacks.rollback(req)),
      listDeployments: this.unary('ListDeployments', read, (req: api.ListDeploymentsRequest) => this.deployments.list(req)),
      getPipeline: this.unary('GetPipeline', read, (req: api.GetPipelineRequest) => this.deployments.pipeline(req)),
      stopInstance: this.unary('StopInstance', operate, (req: api.InstanceControlRequest) => this.instanceStates.stop(req)),
      startInstance: this.unary('StartInstance', operate, (req: api.InstanceControlRequest) => this.instanceStates.start(req)),
      restartInstance: this.unary('RestartInstance', operate, (req: api.RestartInstanceRequest) => this.restarts.restart(req)),
      // Without --set or --clear it only shows the count: read is enough.
      autoscale: this.unary(
        'Autoscale',
        (req: api.AutoscaleRequest) => (req.hasSet || req.clear ? operate(req) : { verb: 'read' }),
        (req: api.AutoscaleRequest) => this.autoscaler.autoscale(req),
      ),
      getInstanceLogs: this.stream('GetInstanceLogs', read, (call: ServerWritableStream<api.GetInstanceLogsRequest, api.InstanceLogLine>, req, gone) =>
        this.instanceLogs.stream(req, {
          cancelled: gone,
          // write() says false when the client is behind: wait for it before the next line.
          write: (l) => (call.write(l) ? Promise.resolve() : new Promise<void>((resolve) => call.once('drain', () => resolve()))),
        }),
      ),
      listJobs: this.unary('ListJobs', read, (req: api.ListJobsRequest) => this.jobs.list(req)),
      runJob: this.unary('RunJob', operate, (req: api.RunJobRequest) => this.jobs.run(req)),
      jobHistory: this.unary('JobHistory', read, (req: api.JobHistoryRequest) => this.jobs.history(req)),
      getJobRun: this.unary('GetJobRun', read, (req: api.GetJobRunRequest) => this.jobs.getRun(req)),
      setJobEnabled: this.unary('SetJobEnabled', operate, (req: api.SetJobEnabledRequest) => this.jobs.setEnabled(req)),
      remoteRun: this.stream('RemoteRun', operate, (call: ServerWritableStream<api.RemoteRunRequest, api.RemoteRunOutput>, req, gone) =>
        this.remoteRuns.run(req, {
          cancelled: gone,
          write: (o) => (call.write(o) ? Promise.resolve() : new Promise<void>((resolve) => call.once('drain', () => resolve()))),
        }),
      ),
      addSecret: this.unary('AddSecret', operate, (req: api.PutSecretRequest) => this.secrets.put(req, 'add')),
      updateSecret: this.unary('UpdateSecret', operate, (req: api.PutSecretRequest) => this.secrets.put(req, 'update')),
      listSecrets: this.unary('ListSecrets', read, (req: api.ListSecretsRequest) => this.secrets.list(req)),
      removeSecret: this.unary('RemoveSecret', operate, (req: api.RemoveSecretRequest) => this.secrets.remove(req)),
      // A dry run only reads; applying to every service (no service named) needs operate on all.
      applyConfig: this.unary(
        'ApplyConfig',
        (req: api.ApplyConfigRequest): Need => (req.dryRun ? { verb: 'read' } : { verb: 'operate', service: req.service || undefined }),
        (req: api.ApplyConfigRequest) => this.configApply.apply(req),
      ),
    };
    server.addService(decodingLeniently(api.ControlApiService), impl);
    this.healthService = new GrpcHealth(server, this.health, this.logger);
    const address = `${this.config.ORZO_GRPC_HOST}:${this.config.ORZO_GRPC_PORT}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, security.credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.server = server;
    this.healthService.start();
    this.health.register('grpc', () => ({ ok: true, detail: `${this.config.ORZO_GRPC_HOST}:${this.boundPort} (${security.mode})` }));
    this.logger.info({ grpc: `${this.config.ORZO_GRPC_HOST}:${this.boundPort}`, security: security.mode }, 'gRPC ControlApi listening');
  }

  async onApplicationShutdown(): Promise<void> {
    this.healthService?.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      // A streaming call (a followed build log or event stream) would hold tryShutdown open: cut it after 2s.
      const force = setTimeout(() => (server.forceShutdown(), resolve()), 2_000);
      server.tryShutdown(() => (clearTimeout(force), resolve()));
    });
  }

  /** Server-streaming GetBuildLog: past lines, then (with follow) live ones until the build ends. */
  private async buildLog(
    call: ServerWritableStream<api.GetBuildLogRequest, api.BuildLogLine>,
    req: api.GetBuildLogRequest,
    gone: () => boolean,
    onStop: (stop: () => void) => void,
  ): Promise<void> {
    const { service, buildId } = await this.builds.resolveBuild(req);
    await this.builds.streamLog(service, buildId, req.follow, (l) => call.write({ buildId, at: l.at, line: l.line, end: l.end ?? '' }), gone, onStop);
  }

  /** Who is calling, and whether its token covers this call of `method`; refuses the call otherwise. */
  private async admit<Req extends object>(
    method: string,
    metadata: Metadata,
    peer: string,
    rawRequest: Req,
    need: NeedOf<Req>,
  ): Promise<{ req: Req; caller: Caller }> {
    const [authorization] = metadata.get('authorization');
    const caller = await this.gate.authenticate(typeof authorization === 'string' ? authorization : undefined, peer);
    const req = refuseOverLimits(refuseMalformed(rawRequest));
    const needed = await need(req);
    if (needed !== 'any-token') this.gate.authorize(caller, method, needed);
    // The actor is the token, never what the request body claims.
    if ('requestedBy' in req) (req as { requestedBy: string }).requestedBy = caller.name;
    return { req, caller };
  }

  private unary<Req extends object, Res>(method: string, need: NeedOf<Req>, handle: (req: Req, caller: Caller) => Promise<Res> | Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      this.admit(method, call.metadata, call.getPeer(), call.request, need)
        .then(({ req, caller }) => handle(req, caller))
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            const answer = this.failed(method, err);
            callback({ code: answer.code, details: answer.details });
          },
        );
    };
  }

  /** A server-streaming method: admitted like a unary one; `gone` says the caller left, `onStop` registers how to stop early. */
  private stream<Req extends object, Res>(
    method: string,
    need: NeedOf<Req>,
    run: (call: ServerWritableStream<Req, Res>, req: Req, gone: () => boolean, onStop: (stop: () => void) => void) => Promise<void>,
  ) {
    return (call: ServerWritableStream<Req, Res>): void => {
      let left = false;
      let stop = () => undefined as void;
      call.on('cancelled', () => ((left = true), stop()));
      this.admit(method, call.metadata, call.getPeer(), call.request, need)
        .then(({ req }) =>
          run(
            call,
            req,
            () => left,
            (s) => (stop = s),
          ),
        )
        .then(
          () => call.end(),
          (err: unknown) => {
            const answer = this.failed(method, err);
            // grpc-js sends an 'error' emitted on a server stream as the call's status.
            call.emit('error', { code: answer.code, details: answer.details });
          },
        );
    };
  }

  /** The status a failed call answers with; a refusal is logged as such, a fault of ours as an error. */
  private failed(method: string, err: unknown): CallStatus {
    const answer = callStatusOf(method, err);
    if (answer.refused) this.logger.info({ method, code: status[answer.code], details: answer.details }, 'gRPC request refused');
    else this.logger.error({ err, method }, 'gRPC request failed');
    return answer;
  }
}
