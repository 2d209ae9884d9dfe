import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Server, ServerCredentials, ServerUnaryCall, sendUnaryData, status } from '@grpc/grpc-js';
import { api } from '@orzo/contracts';
import { HealthRegistry, LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
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
    private readonly health: HealthRegistry,
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
    };
    server.addService(api.ControlApiService, impl);
    const address = `${this.config.ORZO_GRPC_HOST}:${this.config.ORZO_GRPC_PORT}`;
    this.boundPort = await new Promise<number>((resolve, reject) => server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
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
