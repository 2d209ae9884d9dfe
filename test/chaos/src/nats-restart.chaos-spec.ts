import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep } from '@orzo/testing';
import { ChaosScene, V2 } from './harness/chaos-scene';

describe('chaos: NATS restarted in the middle of a deploy (kill -9, same port, same file store)', () => {
  let scene: ChaosScene;

  before(async () => {
    scene = await ChaosScene.open({ service: 'chaos-nats' });
  });
  after(async () => {
    await scene?.close();
  });

  it('the deploy completes, no request fails, no event is lost, no duplicate', async () => {
    await scene.mark(V2);
    await scene.waitCrossoverStarted(V2);
    const faultAt = Date.now();
    await scene.platform.nats.stop(true);
    await sleep(3_000);
    await scene.platform.nats.start();
    const convergedAt = await scene.waitConverged(V2);
    const row = await scene.measure('nats-server kill -9 + restart mid-deploy', { failed: 0 }, faultAt, convergedAt);
    assert.equal(row.failed, 0, `failed requests: ${JSON.stringify(row.reasons)}`);
    assert.deepEqual(row.lostDetail, [], 'events lost');
    assert.equal(row.duplicates, 0, 'duplicate containers');
  });
});
