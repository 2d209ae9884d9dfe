import 'reflect-metadata';
import type { Server } from 'node:http';
import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { BaseConfig, ConfigError, loadConfig } from './config';
import { Logger, PinoNestLogger, createLogger } from './logger';
import { createMetricsRegistry } from './metrics';
import { PlatformModule } from './platform.module';
import { exitProcess, stopOnSignal } from './shutdown';

export interface ServiceContext<C> {
  service: string;
  config: C;
  logger: Logger;
  registry: Registry;
}

export interface ServiceDefinition<S extends z.ZodRawShape> {
  service: string;
  /** Every variable the service reads, base ones included (see baseConfigSchema). */
  configShape: S;
  /** The service's root module, built from its validated config. */
  module: (ctx: ServiceContext<z.infer<z.ZodObject<S>>>) => Type<unknown> | DynamicModule;
  /** Extra commands a service binary answers besides starting (e.g. `migrate`). */
  commands?: Record<string, (ctx: ServiceContext<z.infer<z.ZodObject<S>>>) => Promise<void>>;
}

/** Validates the config; on failure prints every bad variable and returns null. */
export function prepareService<S extends z.ZodRawShape>(
  def: ServiceDefinition<S>,
  env: NodeJS.ProcessEnv = process.env,
): ServiceContext<z.infer<z.ZodObject<S>>> | null {
  let config: z.infer<z.ZodObject<S>>;
  try {
    config = loadConfig(def.service, def.configShape, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return null;
    }
    throw err;
  }
  const base = config as unknown as BaseConfig;
  return { service: def.service, config, logger: createLogger(def.service, base.ORZO_LOG_LEVEL), registry: createMetricsRegistry(def.service) };
}

/** Creates the Nest application of a service (without listening). */
export async function createServiceApp<C>(ctx: ServiceContext<C>, module: Type<unknown> | DynamicModule): Promise<INestApplication> {
  const root: DynamicModule = {
    module: class OrzoRootModule {},
    imports: [PlatformModule.forRoot({ service: ctx.service, config: ctx.config as object, logger: ctx.logger, registry: ctx.registry }), module],
  };
  // No body parser: the only endpoints with bodies (jenkins-hook's webhooks) read the raw body
  // themselves, to verify signatures over the exact bytes and answer every bad body in JSON.
  // forceCloseConnections: closing the app destroys kept-alive HTTP sockets instead of waiting for them.
  const app = await NestFactory.create(root, { logger: new PinoNestLogger(ctx.logger), abortOnError: false, bodyParser: false, forceCloseConnections: true });
  // Idle keep-alive sockets outlive every client's own idle timeout (undici's and Jenkins' are a
  // few seconds), so a client never writes a request onto a socket the server is closing at that
  // moment ("other side closed").
  const http = app.getHttpServer() as Server;
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  return app;
}

/**
 * The main of every Orzo service: `node main.js [command]`. Without a command it starts the
 * service, serving /healthz and /metrics on ORZO_HTTP_HOST:ORZO_HTTP_PORT; exits 1 with the
 * list of bad variables when the config is invalid, and drains on SIGTERM / SIGINT (shutdown.ts).
 */
export async function runService<S extends z.ZodRawShape>(def: ServiceDefinition<S>, argv: string[] = process.argv.slice(2)): Promise<void> {
  const ctx = prepareService(def);
  if (!ctx) {
    process.exitCode = 1;
    return;
  }
  const command = argv[0];
  if (command) {
    const run = def.commands?.[command];
    if (!run) {
      process.stderr.write(`${def.service}: unknown command "${command}"; commands: ${Object.keys(def.commands ?? {}).join(', ') || 'none'}\n`);
      process.exitCode = 2;
      return;
    }
    try {
      await run(ctx);
    } catch (err) {
      ctx.logger.fatal({ err }, `${command} failed`);
      process.exitCode = 1;
    }
    return;
  }
  const base = ctx.config as unknown as BaseConfig;
  try {
    const app = await createServiceApp(ctx, def.module(ctx));
    await app.listen(base.ORZO_HTTP_PORT, base.ORZO_HTTP_HOST);
    ctx.logger.info({ url: await app.getUrl() }, `${def.service} started`);
    stopOnSignal(app, ctx.logger, def.service);
  } catch (err) {
    ctx.logger.fatal({ err }, `${def.service} failed to start: ${(err as Error).message}`);
    process.exitCode = 1;
    // Nest keeps sockets open after a failed init; nothing useful is left running.
    await exitProcess(ctx.logger, 1);
  }
}
