import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Server, ServerCredentials, ServerUnaryCall, ServerWritableStream, sendUnaryData, status } from '@grpc/grpc-js';
import { api } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { AlertsService } from '../alerts/alerts.service';
import { BuildService } from '../builds/build.service';
import type { ControlApiConfig } from '../config';
import { DeadLettersService } from '../dead-letters/dead-letters.service';
import { MarkService } from '../deploys/mark.service';
import { HistoryService } from '../history/history.service';
import { InstanceStateService } from '../instance-state/instance-state.service';
import { DeploymentsService } from '../rollback/deployments.service';
import { RollbackService } from '../rollback/rollback.service';
import { StatusService } from '../status/status.service';
import { CallStatus, callStatusOf } from './grpc-status';
import { decodingLeniently, refuseMalformed } from './malformed-request';
import { refuseOverLimits } from './request-limits';

/**
 * The ControlApi gRPC server (ts-proto + @grpc/grpc-js), beside the service's HTTP /healthz: the
 * only code that knows gRPC. Each method calls one service; a domain error it throws becomes
 * its status code (grpc-status.ts), anything else INTERNAL with the error logged. Request bytes
 * that are not a message of the method's type, and fields too big for an event or holding a NUL, are refused as
 * INVALID_ARGUMENT (malformed-request.ts, request-limits.ts).
 */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;
  private boundPort = 0;

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
  ) {}

  get port(): number {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = new Server();
    const impl: api.ControlApiServer = {
      markForDeployment: this.unary('MarkForDeployment', (req: api.MarkForDeploymentRequest) => this.marks.mark(req)),
      getStatus: this.unary('GetStatus', (req: api.GetStatusRequest) => this.statuses.status(req)),
      listServices: this.unary('ListServices', () => this.statuses.listServices()),
      requestBuild: this.unary('RequestBuild', (req: api.RequestBuildRequest) => this.builds.request(req)),
      cancelBuild: this.unary('CancelBuild', (req: api.CancelBuildRequest) => this.builds.cancel(req)),
      listBuilds: this.unary('ListBuilds', (req: api.ListBuildsRequest) => this.builds.list(req)),
      getBuildLog: (call: ServerWritableStream<api.GetBuildLogRequest, api.BuildLogLine>) => void this.buildLog(call),
      getLatestDeployment: this.unary('GetLatestDeployment', (req: api.GetLatestDeploymentRequest) => this.history.latestDeployment(req)),
      getHistory: this.unary('GetHistory', (req: api.GetHistoryRequest) => this.history.history(req)),
      listDeadLetters: this.unary('ListDeadLetters', (req: api.ListDeadLettersRequest) => this.deadLetters.list(req)),
      listAlerts: this.unary('ListAlerts', (req: api.ListAlertsRequest) => this.alerts.list(req)),
      rollback: this.unary('Rollback', (req: api.RollbackRequest) => this.rollbacks.rollback(req)),
      listDeployments: this.unary('ListDeployments', (req: api.ListDeploymentsRequest) => this.deployments.list(req)),
      stopInstance: this.unary('StopInstance', (req: api.InstanceControlRequest) => this.instanceStates.stop(req)),
      startInstance: this.unary('StartInstance', (req: api.InstanceControlRequest) => this.instanceStates.start(req)),
    };
    server.addService(decodingLeniently(api.ControlApiService), impl);
    const address = `${this.config.ORZO_GRPC_HOST}:${this.config.ORZO_GRPC_PORT}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.server = server;
    this.health.register('grpc', () => ({ ok: true, detail: `${this.config.ORZO_GRPC_HOST}:${this.boundPort}` }));
    this.logger.info({ grpc: `${this.config.ORZO_GRPC_HOST}:${this.boundPort}` }, 'gRPC ControlApi listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      // A streaming call (a followed build log) would hold tryShutdown open: cut it after 2s.
      const force = setTimeout(() => (server.forceShutdown(), resolve()), 2_000);
      server.tryShutdown(() => (clearTimeout(force), resolve()));
    });
  }

  /** Server-streaming GetBuildLog: past lines, then (with follow) live ones until the build ends. */
  private async buildLog(call: ServerWritableStream<api.GetBuildLogRequest, api.BuildLogLine>): Promise<void> {
    let gone = false;
    let stop = () => undefined as void;
    call.on('cancelled', () => ((gone = true), stop()));
    try {
      const { service, buildId } = await this.builds.resolveBuild(refuseOverLimits(refuseMalformed(call.request)));
      await this.builds.streamLog(
        service,
        buildId,
        call.request.follow,
        (l) => call.write({ buildId, at: l.at, line: l.line, end: l.end ?? '' }),
        () => gone,
        (s) => (stop = s),
      );
      call.end();
    } catch (err) {
      const answer = this.failed('GetBuildLog', err);
      // grpc-js sends an 'error' emitted on a server stream as the call's status.
      call.emit('error', { code: answer.code, details: answer.details });
    }
  }

  private unary<Req extends object, Res>(method: string, handle: (req: Req) => Promise<Res> | Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      Promise.resolve()
        .then(() => handle(refuseOverLimits(refuseMalformed(call.request))))
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            const answer = this.failed(method, err);
            callback({ code: answer.code, details: answer.details });
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
