import { readFileSync } from 'node:fs';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ChannelCredentials, Client, ClientReadableStream, Metadata, ServiceError, credentials } from '@grpc/grpc-js';
import { HealthRegistry, HealthResult, SERVICE_CONFIG } from '@orzo/platform';
import { DashboardConfig, controlApiAddress } from './config';
import { codeName } from './grpc-errors';
import { GatewayMethod, buildMethodTable } from './method-table';

/** A unary call is given up after this long (control-api's slowest unary calls answer well within it). */
const UNARY_DEADLINE_MS = 30_000;
const HEALTH_PATH = '/grpc.health.v1.Health/Check';
/** HealthCheckResponse{status: SERVING}: field 1, varint 1. The request (service "") is empty. */
const SERVING = Buffer.from([0x08, 0x01]);

/**
 * The one channel to control-api. Every call carries the caller's own token, so control-api
 * authenticates and checks scopes exactly as for the CLI; the gateway decides nothing.
 */
@Injectable()
export class ControlApiGateway implements OnModuleInit, OnModuleDestroy {
  readonly methods: ReadonlyMap<string, GatewayMethod> = buildMethodTable();
  readonly address: string;
  private readonly client: Client;

  constructor(
    @Inject(SERVICE_CONFIG) config: DashboardConfig,
    private readonly health: HealthRegistry,
  ) {
    this.address = controlApiAddress(config);
    this.client = new Client(this.address, channelCredentials(config));
  }

  /** /healthz says whether control-api answers (its gRPC health service, which needs no token). */
  onModuleInit(): void {
    this.health.register('control-api', () => this.controlApiHealth());
  }

  /** One unary call with `token`; resolves to the response message. */
  unary(method: GatewayMethod, request: unknown, token: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.serialize,
        method.deserialize,
        request,
        withToken(token),
        { deadline: Date.now() + UNARY_DEADLINE_MS },
        (err: ServiceError | null, response?: unknown) => (err ? reject(err) : resolve(response)),
      );
    });
  }

  /** A server-streaming call with `token`; the caller cancels it when its HTTP client goes. */
  serverStream(method: GatewayMethod, request: unknown, token: string): ClientReadableStream<unknown> {
    return this.client.makeServerStreamRequest(method.path, method.serialize, method.deserialize, request, withToken(token), {});
  }

  private controlApiHealth(): Promise<HealthResult> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        HEALTH_PATH,
        () => Buffer.alloc(0),
        (bytes: Buffer) => bytes,
        {},
        new Metadata(),
        { deadline: Date.now() + 1_500 },
        (err: ServiceError | null, answer?: Buffer) => {
          if (err) resolve({ ok: false, detail: `${this.address}: ${codeName(err.code)} ${err.details}` });
          else resolve(answer?.equals(SERVING) ? { ok: true } : { ok: false, detail: `${this.address}: not serving` });
        },
      );
    });
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}

function withToken(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** TLS to control-api when ORZO_CA is set (with a client certificate for mutual TLS), plaintext otherwise: the CLI's rule. */
function channelCredentials(config: Pick<DashboardConfig, 'ORZO_CA' | 'ORZO_CLIENT_CERT' | 'ORZO_CLIENT_KEY'>): ChannelCredentials {
  if (!config.ORZO_CA) return credentials.createInsecure();
  const pem = (variable: string, file: string | undefined) => {
    if (!file) return null;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${variable}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return credentials.createSsl(
    pem('ORZO_CA', config.ORZO_CA),
    pem('ORZO_CLIENT_KEY', config.ORZO_CLIENT_KEY),
    pem('ORZO_CLIENT_CERT', config.ORZO_CLIENT_CERT),
  );
}
