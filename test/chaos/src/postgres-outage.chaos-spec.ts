import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { freePort, sleep, testPostgresUrl, uniqueSchema } from '@orzo/testing';
import { ChaosScene, V2 } from './harness/chaos-scene';
import { TcpProxy } from './harness/tcp-proxy';

describe('chaos: PostgreSQL unreachable for 10 s in the middle of a deploy', () => {
  let scene: ChaosScene;
  let proxy: TcpProxy;
  let schemas = new Map<string, string>();

  before(async () => {
    const real = new URL(testPostgresUrl());
    proxy = await TcpProxy.start(await freePort(), { host: real.hostname, port: Number(real.port || 5432) });
    const viaProxy = new URL(real.toString());
    viaProxy.port = String(proxy.port);
    // Every service on PostgreSQL through the proxy, each in a schema of its own for this run.
    schemas = new Map<string, string>();
    scene = await ChaosScene.open({
      service: 'chaos-pg',
      env: { ORZO_DB_URL: viaProxy.toString() },
      serviceEnv: (name) => {
        if (!schemas.has(name)) schemas.set(name, uniqueSchema(`chaos_${name.replace(/-/g, '_')}`));
        return { ORZO_DB_SCHEMA: schemas.get(name) };
      },
    });
  });
  after(async () => {
    await scene?.close();
    await proxy?.stop();
    // The shared database keeps no trace of the run (psql is installed with the test tools).
    const drop = [...schemas.values()].map((s) => `drop schema if exists "${s}" cascade;`).join(' ');
    if (drop) spawnSync('psql', [testPostgresUrl(), '-qc', drop], { stdio: 'ignore' });
  });

  it('every service recovers with no operator action: the deploy completes, no request fails, no event is lost', async () => {
    await scene.mark(V2);
    await scene.waitCrossoverStarted(V2);
    const faultAt = Date.now();
    await proxy.cut();
    await sleep(10_000);
    await proxy.restore();
    const convergedAt = await scene.waitConverged(V2, 120_000);
    const row = await scene.measure('postgresql unreachable 10 s mid-deploy', { failed: 0 }, faultAt, convergedAt);
    for (const name of ['control-api', 'builder', 'jenkins-hook', 'scheduler-bridge', 'discovery-publisher', 'monitor-bridge'])
      assert.ok(scene.platform.pid(name) !== undefined && scene.platform.alive(name), `${name} still runs`);
    assert.equal(row.failed, 0, `failed requests: ${JSON.stringify(row.reasons)}`);
    assert.deepEqual(row.lostDetail, [], 'events lost');
    assert.equal(row.duplicates, 0, 'duplicate containers');
  });
});
