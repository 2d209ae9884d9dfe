import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { BusService } from '@orzo/bus';
import type { Logger } from '@orzo/platform';
import type { SchedulerBridgeConfig } from '../config';
import { Engine, EngineEvent, Labels } from '../engine/engine';
import { Engines } from '../engine/engines';
import { DesiredStateRepository } from './desired-state.repository';
import { ReconcileMetrics } from './reconcile-metrics';
import { Reconciler } from './reconciler';

/** A replica's engine event, with the labels Orzo puts on its containers. */
const event = (action: string, cluster: string, instance = 'main'): EngineEvent => ({
  action,
  containerId: `c-${cluster}-${instance}`,
  time: 0,
  labels: { [Labels.managed]: 'true', [Labels.service]: 'hello', [Labels.cluster]: cluster, [Labels.instance]: instance },
});

describe("the reconciler's engine events", () => {
  it("asks for a pass of the replica's instance on a death, but not for a cluster another bridge runs on the same engine", async () => {
    let onEvent: ((e: EngineEvent) => void) | undefined;
    const engine = {
      watch: (handler: (e: EngineEvent) => void) => {
        onEvent = handler;
        return () => undefined;
      },
    } as unknown as Engine;
    // This bridge runs cluster `local`; `other` is another platform's on the same Docker Engine.
    const engines = { runs: (cluster?: string) => cluster === 'local', of: () => engine, distinct: () => [engine] } as unknown as Engines;
    // The pass reads the instance's desired state first: no row, so it ends there.
    const read: string[] = [];
    const desired = {
      get: (key: string) => {
        read.push(key);
        return Promise.resolve(undefined);
      },
    } as unknown as DesiredStateRepository;
    const noop = () => undefined;
    const logger = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Logger;
    const reconciler = new Reconciler(
      engines,
      desired,
      {} as BusService,
      logger,
      { ORZO_RECONCILE_INTERVAL_MS: 60_000 } as SchedulerBridgeConfig,
      new ReconcileMetrics(new Registry()),
    );
    const stop = (reconciler as unknown as { watch(engine: Engine): () => void }).watch(engine);
    onEvent!(event('die', 'other'));
    onEvent!(event('destroy', 'other', 'canary'));
    onEvent!(event('die', 'local'));
    onEvent!(event('start', 'local', 'canary'));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    stop();
    assert.deepEqual(read, ['hello/local/main']);
  });
});
