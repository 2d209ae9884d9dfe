import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PrivateDockerd, ensureBusyboxBase, startPrivateDockerd, waitFor } from '@orzo/testing';
import { DockerEngine, EngineEvent } from '../src/docker-engine';

/**
 * The events stream across an engine restart. The restart is done to a private dockerd (its
 * own socket, data root, exec root and bridge): the machine's engine is never stopped.
 */
describe('DockerEngine events across a dockerd killed -9 and started again', () => {
  let dockerd: PrivateDockerd;
  let engine: DockerEngine;

  before(async () => {
    dockerd = await startPrivateDockerd();
    engine = new DockerEngine(dockerd.docker);
    await ensureBusyboxBase(dockerd.docker);
  });
  after(async () => {
    await dockerd?.dispose();
  });

  it('reports the break, reconnects by itself with backoff, says so, and follows the new engine', async () => {
    const events: EngineEvent[] = [];
    const breaks: number[] = [];
    let reconnects = 0;
    const unwatch = engine.watch((e) => events.push(e), { onBreak: (_err, retryInMs) => breaks.push(retryInMs), onReconnect: () => reconnects++ });
    try {
      // The stream is up once it delivers an event of ours.
      const probe = await engine.run({
        service: 'probe',
        instance: 'main',
        cluster: 'restart',
        image: 'orzo/busybox:1',
        gitSha: 'abcdef1234567890',
        configHash: 'config12345678',
        cpus: 0.1,
        memMb: 16,
        env: {},
        containerPort: 8080,
        cmd: 'sleep 300',
      });
      await waitFor(() => events.some((e) => e.containerId === probe.id && e.action === 'start'), { what: 'the start event' });

      dockerd.kill9();
      await waitFor(() => breaks.length >= 3, { timeoutMs: 15_000, what: 'three failed reconnections' });
      assert.deepEqual(breaks.slice(0, 3), [250, 500, 1_000], 'backoff 250 ms, 500 ms, then every second');
      assert.equal(reconnects, 0);

      await dockerd.start();
      await waitFor(() => reconnects === 1, { timeoutMs: 10_000, what: 'the stream to reconnect' });
      // Without live-restore the restarted engine killed the replica; what it does now is seen.
      await engine.remove(probe.id);
      await waitFor(() => events.some((e) => e.containerId === probe.id && e.action === 'destroy'), { what: 'the destroy event after the restart' });
    } finally {
      unwatch();
    }
  });
});
