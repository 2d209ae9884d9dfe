import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { ServiceError, credentials } from '@grpc/grpc-js';
import { api, bearer } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import type { NatsServerHandle } from '@orzo/testing';
import { controlApi } from '../src/definition';
import { GrpcServer } from '../src/grpc/grpc.server';

export const SOA_DIR = join(__dirname, '..', '..', '..', '..', 'examples', 'soa-configs');

/** The unary methods of the generated client (GetBuildLog and GetInstanceLogs stream). */
export type UnaryMethod = Exclude<keyof api.ControlApiServer, 'getBuildLog' | 'getInstanceLogs'>;

/** One unary call, as a promise. */
export function callUnary<Req, Res>(client: api.ControlApiClient, method: UnaryMethod, req: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    ((client as unknown as Record<string, unknown>)[method] as (r: Req, cb: (e: ServiceError | null, r: Res) => void) => void).call(client, req, (err, res) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

export interface ControlApiRig {
  app: INestApplication;
  /** A client that sends the bootstrap admin token. */
  client: api.ControlApiClient;
  dataDir: string;
  /** 127.0.0.1:<port> of the gRPC API. */
  address: string;
  adminToken: string;
  /** Its name: the actor history records for calls made with it. */
  adminName: string;
  close(): Promise<void>;
}

/**
 * control-api in this process, as `orzo up` runs it: migrated SQLite in a data dir (a new one
 * unless given, so a restart can reuse it), the example soa-configs, gRPC on a free port.
 */
export async function startControlApi(
  nats: NatsServerHandle,
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    /** false when the server speaks TLS: the rig's client is then unusable. */ plaintextClient?: boolean;
  } = {},
): Promise<ControlApiRig> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'orzo-control-'));
  const ctx = prepareService(controlApi, {
    ORZO_NATS_URL: nats.url,
    ORZO_DATA_DIR: dataDir,
    ORZO_LOG_LEVEL: 'silent',
    ORZO_HTTP_PORT: '0',
    ORZO_GRPC_PORT: '0',
    ORZO_SOA_DIR: SOA_DIR,
    ...options.env,
  });
  assert.ok(ctx);
  await controlApi.commands!.migrate!(ctx);
  const app = await createServiceApp(ctx, controlApi.module(ctx));
  // A control-api that refuses to start (a bad listener config) must not keep NATS and its
  // database open behind the test.
  await app.init().catch(async (err: unknown) => {
    await app.close().catch(() => undefined);
    throw err;
  });
  const address = `127.0.0.1:${app.get(GrpcServer).port}`;
  // The bootstrap admin token control-api wrote at start-up, as the CLI finds it.
  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const client = new api.ControlApiClient(address, credentials.createInsecure(), { interceptors: [bearer(adminToken)] });
  const adminName = options.plaintextClient === false ? '' : (await callUnary<api.WhoAmIRequest, api.WhoAmIResponse>(client, 'whoAmI', {})).name;
  return {
    app,
    client,
    dataDir,
    address,
    adminToken,
    adminName,
    close: async () => {
      client.close();
      await app.close();
    },
  };
}
