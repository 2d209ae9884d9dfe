import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TEST_INSTANCE_DEFAULTS, instancesYaml, waitFor } from '@orzo/testing';
import { ChaosScene, V1, V2 } from './harness/chaos-scene';

const GRACE_S = 3;

/** The example, but its server ignores SIGTERM (an ignored signal stays ignored across exec). */
const sigtermIgnoring = instancesYaml(
  { main: { instances: 3, registrations: ['chaos-replica.main'] } },
  {
    ...TEST_INSTANCE_DEFAULTS,
    healthcheck_max_consecutive_failures: 3,
    lifecycle: { termination_grace_period_seconds: GRACE_S },
    cmd: 'trap "" TERM; exec httpd -f -p "${ORZO_PORT:-8080}" -h /www',
  },
);

describe('chaos: replicas that misbehave during a bounce', () => {
  let scene: ChaosScene;
  /** Exit codes of the containers that died, by container id, from the engine's events. */
  const exits = new Map<string, string>();
  let events: NodeJS.ReadableStream | undefined;

  before(async () => {
    scene = await ChaosScene.open({ service: 'chaos-replica', files: { 'kubernetes-local.yaml': sigtermIgnoring } });
    events = (await scene.docker.getEvents({
      filters: { type: ['container'], event: ['die'], label: ['orzo.service=chaos-replica'] },
    })) as NodeJS.ReadableStream;
    events.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as { id: string; Actor: { Attributes: Record<string, string> } };
        exits.set(e.id, e.Actor.Attributes.exitCode ?? '?');
      }
    });
  });
  after(async () => {
    (events as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    await scene?.close();
  });

  it('a replica that ignores SIGTERM is killed after its grace period and the bounce completes', async () => {
    const old = (await scene.containers()).map((c) => c.id);
    const faultAt = Date.now();
    await scene.mark(V2);
    const convergedAt = await scene.waitConverged(V2, 120_000);
    await waitFor(() => old.every((id) => exits.has(id)), { timeoutMs: 10_000, what: 'the die events of the old replicas' });
    const row = await scene.measure('replica ignoring SIGTERM, bounce', { failed: 0 }, faultAt, convergedAt);
    assert.deepEqual(
      old.map((id) => exits.get(id)),
      old.map(() => '137'),
      'every old replica ignored SIGTERM and was killed (SIGKILL, 137) after the grace period',
    );
    assert.equal(row.failed, 0, `failed requests: ${JSON.stringify(row.reasons)}`);
    assert.deepEqual(row.lostDetail, [], 'events lost');
    assert.equal(row.duplicates, 0, 'duplicate containers');
  });

  it('a replica removed by hand (docker rm -f) in the middle of a bounce is replaced and the bounce completes', async () => {
    await scene.mark(V1);
    await scene.waitCrossoverStarted(V1);
    const victim = (await scene.containers()).find((c) => c.sha === V1)!;
    const faultAt = Date.now();
    execFileSync('docker', ['rm', '-f', victim.id]);
    const convergedAt = await scene.waitConverged(V1, 120_000);
    const row = await scene.measure('replica docker rm -f mid-bounce', { failed: 0 }, faultAt, convergedAt);
    assert.ok(!(await scene.containers()).some((c) => c.id === victim.id), 'the removed replica was replaced');
    assert.equal(row.failed, 0, `failed requests: ${JSON.stringify(row.reasons)}`);
    assert.deepEqual(row.lostDetail, [], 'events lost');
    assert.equal(row.duplicates, 0, 'duplicate containers');
  });
});
