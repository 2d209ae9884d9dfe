import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep, waitFor } from '@orzo/testing';
import { ChaosScene, V1 } from './harness/chaos-scene';

describe('chaos: HAProxy killed (kill -9 of its master)', () => {
  let scene: ChaosScene;

  before(async () => {
    scene = await ChaosScene.open({ service: 'chaos-haproxy' });
  });
  after(async () => {
    await scene?.close();
  });

  it('is started and reprogrammed by discovery-publisher with no operator action, traffic back within 5 s', async () => {
    await sleep(2_000);
    const pidFile = join(scene.platform.env.ORZO_DATA_DIR!, 'haproxy', 'haproxy.pid');
    const master = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
    const faultAt = Date.now();
    process.kill(master, 'SIGKILL');
    await waitFor(() => scene.load.results.some((r) => r.at > faultAt + 200 && r.ok) && scene.load.servingAgainAt(faultAt), {
      timeoutMs: 30_000,
      what: `traffic through HAProxy again\n${scene.platform.output().slice(-3000)}`,
    });
    await sleep(2_000); // still serving afterwards, not one lucky request
    const convergedAt = await scene.waitConverged(V1);
    const row = await scene.measure('kill -9 haproxy master', { failed: 'some', servingAgainMs: 5_000 }, faultAt, convergedAt);
    assert.ok(row.servingAgainMs !== undefined && row.servingAgainMs < 5_000, `traffic back after ${row.servingAgainMs} ms`);
    assert.notEqual(Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]), master, 'a new haproxy master runs');
    assert.deepEqual(row.lostDetail, [], 'events lost');
    assert.equal(row.duplicates, 0, 'duplicate containers');
  });
});
