import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { BusService } from '@orzo/bus';
import type { InstanceSpec } from '@orzo/contracts';
import type { Logger } from '@orzo/platform';
import type { SchedulerBridgeConfig } from '../config';
import type { Replica } from '../engine/engine';
import { Engines } from '../engine/engines';
import { DesiredInstance, DesiredStateRepository } from './desired-state.repository';
import { ReconcileMetrics } from './reconcile-metrics';
import { Reconciler } from './reconciler';

/** The reconciler's private bookkeeping, as these tests look at it. */
interface Inside {
  awaitingDiscovery: Map<string, Set<string>>;
  announced: Map<string, unknown>;
  announcedOf: Map<string, Set<string>>;
  awaitDiscovery(spec: InstanceSpec, waiting: boolean): void;
  onDiscoveryChange(registration: string): void;
  noteAnnounced(key: string, r: Replica): void;
  forgetAnnounced(id: string): void;
}

const key = 'hello/local/main';
const spec = (...registrations: string[]) =>
  ({
    service: 'hello',
    cluster: 'local',
    instance: 'main',
    registrationDetails: registrations.map((name) => ({ name, proxyPort: 20_000 })),
  }) as unknown as InstanceSpec;

/** A reconciler whose desired state holds `rows` (read keys are recorded), nothing else running. */
function reconciler(rows: Map<string, DesiredInstance> = new Map()) {
  const read: string[] = [];
  const desired = {
    get: (k: string) => {
      read.push(k);
      return Promise.resolve(rows.get(k));
    },
  } as unknown as DesiredStateRepository;
  const noop = () => undefined;
  const logger = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Logger;
  const r = new Reconciler(
    {} as Engines,
    desired,
    {} as BusService,
    logger,
    { ORZO_RECONCILE_INTERVAL_MS: 60_000 } as SchedulerBridgeConfig,
    new ReconcileMetrics(new Registry()),
  );
  return { reconciler: r, inside: r as unknown as Inside, read };
}

describe("the reconciler's bookkeeping", () => {
  it('waits for discovery under the registrations of the latest spec only, and under none once the instance has no desired state', async () => {
    const { reconciler: r, inside, read } = reconciler();
    inside.awaitDiscovery(spec('hello.main', 'hello.old'), true);
    assert.deepEqual([...inside.awaitingDiscovery.keys()].sort(), ['hello.main', 'hello.old']);
    // A newer deploy dropped hello.old: a change of it no longer brings a pass.
    inside.awaitDiscovery(spec('hello.main'), true);
    assert.deepEqual([...inside.awaitingDiscovery.keys()], ['hello.main']);
    inside.onDiscoveryChange('hello.old');
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(read, []);
    // Its desired state gone, the pass finds no row and the instance waits for nothing.
    await r.request(key);
    assert.deepEqual(read, [key]);
    assert.equal(inside.awaitingDiscovery.size, 0);
  });

  it('forgets an announced replica in both its maps, and an instance left with none', () => {
    const { inside } = reconciler();
    inside.noteAnnounced(key, { id: 'r1' } as Replica);
    inside.noteAnnounced(key, { id: 'r2' } as Replica);
    inside.forgetAnnounced('r1');
    assert.deepEqual([...inside.announced.keys()], ['r2']);
    assert.deepEqual([...(inside.announcedOf.get(key) ?? [])], ['r2']);
    inside.forgetAnnounced('r2');
    inside.forgetAnnounced('unknown');
    assert.equal(inside.announced.size, 0);
    assert.equal(inside.announcedOf.size, 0);
  });
});
