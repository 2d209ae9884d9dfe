import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ORZO_SERVICES, Subjects } from '@orzo/contracts';
import { BUSYBOX_BASE, createGitRepo, sleep, waitFor } from '@orzo/testing';
import { ChaosScene, V1, V2 } from './harness/chaos-scene';
import { buildEvents } from './harness/event-audit';

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
      await scene.mark(next);
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

  it('builder killed in the middle of a build: the build is run again after the restart and completes once', async () => {
    const repo = createGitRepo('orzo-chaos-build-');
    // A slow step, so the kill lands inside the build.
    const sha = repo.commit({ Dockerfile: `FROM ${BUSYBOX_BASE}\nRUN sleep 6 && echo ${Date.now()} > /built\nCMD ["/bin/sh", "-c", "sleep 1"]\n` });
    const cook = await scene.cliIn(repo.dir, 'cook-image', '-s', scene.service, '--no-follow', '--json');
    assert.equal(cook.status, 0, cook.stderr + cook.stdout);
    const buildId = (JSON.parse(cook.stdout.split('\n')[0]!) as { buildId: string }).buildId;
    const url = scene.platform.env.ORZO_NATS_URL!;
    await waitFor(async () => (await buildEvents(url, buildId))[Subjects.BuildStarted], { timeoutMs: 30_000, what: `build ${buildId} started` });
    await sleep(2_000);
    const faultAt = Date.now();
    await scene.platform.kill('builder', 'SIGKILL');
    await sleep(1_000);
    await scene.platform.start('builder');
    const events = await waitFor(
      async () => {
        const e = await buildEvents(url, buildId);
        return e[Subjects.BuildImageBuilt] || e[Subjects.BuildFailed] ? e : undefined;
      },
      { timeoutMs: 120_000, what: `build ${buildId} to end\n${scene.platform.output().slice(-3000)}` },
    );
    const image = await scene.docker.getImage(`services-${scene.service}:orzo-${sha}`).inspect();
    const row = await scene.measure('kill -9 builder mid-build', { failed: 0 }, faultAt, Date.now());
    assert.equal(events[Subjects.BuildFailed], undefined, 'the build did not fail');
    assert.equal(events[Subjects.BuildImageBuilt], 1, 'built and announced once');
    assert.ok(image.Id, 'the image exists');
    assert.equal(row.failed, 0, `failed requests: ${JSON.stringify(row.reasons)}`);
    assert.deepEqual(row.lostDetail, [], 'events lost');
    assert.equal(row.duplicates, 0, 'duplicate containers');
    await scene.docker.getImage(`services-${scene.service}:orzo-${sha}`).remove({ force: true });
  });
});
