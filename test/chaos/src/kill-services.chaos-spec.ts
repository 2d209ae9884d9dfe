import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ORZO_SERVICES } from '@orzo/contracts';
import { sleep } from '@orzo/testing';
import { ChaosScene, V1, V2 } from './harness/chaos-scene';

describe('chaos: kill -9 of each service in the middle of a crossover deploy, then started again', () => {
  let scene: ChaosScene;
  let current = V1;

  before(async () => {
    scene = await ChaosScene.open({ service: 'chaos-kill' });
  });
  after(async () => {
    await scene?.close();
  });

  for (const { name } of ORZO_SERVICES) {
    it(`${name}: the deploy completes, no request fails, no event is lost, no duplicate`, async () => {
      const next = current === V1 ? V2 : V1;
      scene.mark(next);
      await scene.waitCrossoverStarted(next);
      const faultAt = Date.now();
      await scene.platform.kill(name, 'SIGKILL');
      await sleep(1_000);
      await scene.platform.start(name);
      const convergedAt = await scene.waitConverged(next);
      current = next;
      const row = await scene.measure(`kill -9 ${name} mid-deploy`, { failed: 0 }, faultAt, convergedAt);
      assert.equal(row.failed, 0, `failed requests: ${JSON.stringify(row.reasons)}`);
      assert.deepEqual(row.lostDetail, [], 'events lost');
      assert.equal(row.duplicates, 0, 'duplicate containers');
    });
  }
});
