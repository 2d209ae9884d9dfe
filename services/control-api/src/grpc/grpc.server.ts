import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Server, ServerCredentials, ServerUnaryCall, ServerWritableStream, sendUnaryData, status } from '@grpc/grpc-js';
import { api } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { BuildService } from '../build/build.service';
import { DeadLettersService } from '../dead-letters/dead-letters.service';
import { GrpcError } from '../deploy/grpc-error';
import { MarkService } from '../deploy/mark.service';
import { StatusService } from '../status/status.service';

export interface GrpcConfig {
  ORZO_GRPC_HOST: string;
  ORZO_GRPC_PORT: number;
}

/** The ControlApi gRPC server (ts-proto + @grpc/grpc-js), beside the service's HTTP /healthz. */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;
  private boundPort = 0;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GrpcConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly marks: MarkService,
    private readonly statuses: StatusService,
    private readonly builds: BuildService,
    private readonly health: HealthRegistry,
    private readonly deadLetters: DeadLettersService,
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
      getLatestDeployment: this.unary('GetLatestDeployment', (req: api.GetLatestDeploymentRequest) => this.builds.latestDeployment(req)),
      getHistory: this.unary('GetHistory', (req: api.GetHistoryRequest) => this.builds.history(req)),
      listDeadLetters: this.unary('ListDeadLetters', (req: api.ListDeadLettersRequest) => this.deadLetters.list(req)),
    };
    server.addService(api.ControlApiService, impl);
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
      const force = setTimeout(() => (server.forceShutdown(), resolve()), 5_000);
      server.tryShutdown(() => (clearTimeout(force), resolve()));
    });
  }

  /** Server-streaming GetBuildLog: past lines, then (with follow) live ones until the build ends. */
  private async buildLog(call: ServerWritableStream<api.GetBuildLogRequest, api.BuildLogLine>): Promise<void> {
    let gone = false;
    let stop = () => undefined as void;
    call.on('cancelled', () => ((gone = true), stop()));
    try {
      const { service, buildId } = await this.builds.resolveBuild(call.request);
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
      const known = err instanceof GrpcError;
      if (!known) this.logger.error({ err }, 'GetBuildLog failed');
      // grpc-js sends an 'error' emitted on a server stream as the call's status.
      call.emit('error', { code: known ? err.code : status.INTERNAL, details: known ? err.message : `GetBuildLog failed: ${(err as Error).message}` });
    }
  }

  private unary<Req, Res>(method: string, handle: (req: Req) => Promise<Res> | Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      Promise.resolve()
        .then(() => handle(call.request))
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            if (err instanceof GrpcError) {
              this.logger.info({ method, code: status[err.code], details: err.message }, 'gRPC request refused');
              callback({ code: err.code, details: err.message });
            } else {
              this.logger.error({ err, method }, 'gRPC request failed');
              callback({ code: status.INTERNAL, details: `${method} failed: ${(err as Error).message}` });
            }
          },
        );
    };
  }
}
