import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NatsConnection, connectNats } from '@orzo/bus';
import { NatsServerHandle, startNatsServer } from '@orzo/testing';
import { JobKv, RunClaim } from '../src/jobs/job-kv';
import { jobSpec } from './job-helpers';

describe("the jobs' shared state in NATS KV", () => {
  let nats: NatsServerHandle;
  const conns: NatsConnection[] = [];
  let kvs: JobKv[];

  before(async () => {
    nats = await startNatsServer();
    for (let i = 0; i < 4; i++) conns.push(await connectNats(nats.url, `bridge-${i}`));
    kvs = await Promise.all(conns.map((nc) => JobKv.open(nc)));
  });

  after(async () => {
    for (const nc of conns) await nc.close();
    await nats.dispose();
  });

  it('a run id is claimed by exactly one of four schedulers claiming at once, and never again', async () => {
    const claim = (owner: string): RunClaim => ({ owner, state: 'running', trigger: 'schedule', heartbeatAt: Date.now() });
    for (let round = 0; round < 20; round++) {
      const runId = `batch.tick.norcal.${1790000000 + round}`;
      const won = await Promise.all(kvs.map((kv, i) => kv.claim(runId, claim(`b${i}`))));
      assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won.join(',')}`);
      const winner = won.indexOf(true);
      assert.equal((await kvs[0]!.getClaim(runId))?.owner, `b${winner}`);
      assert.equal(await kvs[winner]!.claim(runId, claim('again')), false, 'the winner itself, restarted, does not run it again');
    }
  });

  it('a late or redelivered desired set never replaces a newer one', async () => {
    const v = (image: string) => ({
      service: 'batch',
      cluster: 'norcal',
      reason: 'test',
      jobs: [jobSpec('norcal', 'tick', 'interval 2s', [{ name: 'a' }], { image })],
    });
    assert.equal((await kvs[0]!.putDesired(v('img:2'), '2026-11-30T10:00:02.000Z')).stored, true);
    assert.equal((await kvs[1]!.putDesired(v('img:1'), '2026-11-30T10:00:01.000Z')).stored, false);
    const seen: string[] = [];
    const stop = await kvs[2]!.watchDesired((c) => seen.push(c.desired?.jobs[0]?.image ?? 'deleted'));
    await new Promise((r) => setTimeout(r, 300));
    stop();
    assert.deepEqual(seen, ['img:2']);
    const replaced = await kvs[3]!.putDesired(v('img:3'), '2026-11-30T10:00:03.000Z');
    assert.equal(replaced.previous?.jobs[0]?.image, 'img:2');
  });

  it("a job's last due time only moves forward, and is forgotten when the job is disabled", async () => {
    await Promise.all(kvs.map((kv, i) => kv.advanceLast('batch.tick.norcal', 1_000 + i * 1_000, `run-${i}`)));
    assert.deepEqual(await kvs[0]!.getLast('batch.tick.norcal'), { at: 4_000, runId: 'run-3' });
    await kvs[1]!.advanceLast('batch.tick.norcal', 2_000, 'older');
    assert.deepEqual(await kvs[0]!.getLast('batch.tick.norcal'), { at: 4_000, runId: 'run-3' });
    await kvs[1]!.advanceLast('batch.tick.norcal', 6_000, null);
    assert.deepEqual(await kvs[0]!.getLast('batch.tick.norcal'), { at: 6_000, runId: 'run-3' }, 'a skipped run keeps the last started run');
    await kvs[2]!.forgetLast('batch.tick.norcal');
    assert.equal(await kvs[0]!.getLast('batch.tick.norcal'), undefined);
  });
});
