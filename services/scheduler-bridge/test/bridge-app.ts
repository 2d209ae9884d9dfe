import assert from 'node:assert/strict';
import { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { InstanceSpec, Subjects, decodeEvent } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import { schedulerBridge } from '../src/definition';

/** A scheduler-bridge in this process (migrated, initialised), with its environment. */
export async function bootBridge(env: Record<string, string>): Promise<INestApplication> {
  const ctx = prepareService(schedulerBridge, { ORZO_LOG_LEVEL: 'silent', ORZO_HTTP_PORT: '0', ...env });
  assert.ok(ctx);
  await schedulerBridge.commands!.migrate!(ctx);
  const app = await createServiceApp(ctx, schedulerBridge.module(ctx));
  await app.init();
  return app;
}

/** The payload of the last event published on `subject`, if any. */
export async function lastEvent<T = Record<string, unknown>>(app: INestApplication, subject: string): Promise<T | undefined> {
  const jsm = await jetstreamManager(app.get(BusService).connection);
  const m = await jsm.streams.getMessage(subject.startsWith('orzo.deploy') ? 'ORZO_DEPLOY' : 'ORZO_INSTANCE', { last_by_subj: subject }).catch(() => null);
  const d = m && decodeEvent(subject, m.data);
  return d && d.ok ? (d.event.payload as unknown as T) : undefined;
}

/** Publishes deploy.requested for one spec of the example service, as control-api would. */
export function requestDeploy(app: INestApplication, deployId: string, s: InstanceSpec): Promise<unknown> {
  return app
    .get(BusService)
    .publish(Subjects.DeployRequested, { deployId, service: s.service, deployGroup: s.deployGroup, specs: [s], requestedBy: 'test', reason: 'test' });
}
