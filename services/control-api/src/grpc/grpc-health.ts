import type { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { API_PROTO_FILES, PROTO_DIR } from '@orzo/contracts';
import type { HealthRegistry, Logger } from '@orzo/platform';

export const CONTROL_API_SERVICE = 'orzo.api.v1.ControlApi';
const EVERY_MS = 2_000;

/**
 * The standard doors beside the Orzo API, served without a token: grpc.health.v1 (SERVING while
 * the service's own health checks pass, the same ones /healthz runs: NATS, database, gRPC;
 * NOT_SERVING otherwise; for "" and for orzo.api.v1.ControlApi) and server reflection
 * (v1 and v1alpha), so grpcurl can list and call the API without the .proto files.
 */
export class GrpcHealth {
  private readonly implementation = new HealthImplementation({ '': 'NOT_SERVING', [CONTROL_API_SERVICE]: 'NOT_SERVING' });
  private timer?: NodeJS.Timeout;

  constructor(
    server: Server,
    private readonly health: HealthRegistry,
    private readonly logger: Logger,
  ) {
    this.implementation.addToServer(server);
    const definitions = loadSync([...API_PROTO_FILES, healthProtoPath], { includeDirs: [PROTO_DIR], keepCase: true });
    new ReflectionService(definitions).addToServer(server);
  }

  start(): void {
    const check = () => {
      this.health.run().then(
        (r) => {
          const status = r.ok ? 'SERVING' : 'NOT_SERVING';
          this.implementation.setStatus('', status);
          this.implementation.setStatus(CONTROL_API_SERVICE, status);
        },
        (err: unknown) => this.logger.warn({ err }, 'health checks failed to run'),
      );
    };
    check();
    this.timer = setInterval(check, EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.implementation.setStatus('', 'NOT_SERVING');
    this.implementation.setStatus(CONTROL_API_SERVICE, 'NOT_SERVING');
  }
}
