import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createEnvelope, Subjects } from '@orzo/contracts';
import { Database } from '@orzo/persistence';
import { databaseMatrix } from '@orzo/testing';
import { BuildViewService } from '../src/builds/build-view.service';
import { BuildSchema } from '../src/builds/build.entity';
import { CONTROL_API_ENTITIES, CONTROL_API_MIGRATIONS } from '../src/definition';
import { DIALECT_MIGRATIONS } from '../src/persistence/migrations';
import { DeployInstanceSchema } from '../src/deploys/deploy-instance.entity';
import { OutboxMessageSchema } from '../src/deploys/outbox-message.entity';
import { HistoryEntrySchema } from '../src/history/history-entry.entity';
import { PipelineRunSchema } from '../src/pipeline/pipeline-run.entity';
import { InstanceProgressSchema } from '../src/status/instance-progress.entity';
import { ReplicaSchema } from '../src/status/replica.entity';

const replica = (updatedAt: string, state: string) => ({
  replicaId: 'r1',
  service: 'hello',
  instance: 'main',
  cluster: 'local',
  host: '127.0.0.1',
  port: 31001,
  gitSha: 'abc1234',
  configHash: 'config01',
  state,
  detail: '',
  failures: 0,
  forceBounce: '',
  updatedAt,
});

for (const target of databaseMatrix()) {
  describe(`control-api repositories on ${target.name}`, () => {
    let db: Database;
    before(async () => {
      db = await Database.open({
        url: target.url(),
        schema: target.schema,
        entities: CONTROL_API_ENTITIES,
        migrations: CONTROL_API_MIGRATIONS,
        dialectMigrations: DIALECT_MIGRATIONS,
      });
      await db.migrate();
    });
    after(async () => {
      if (target.name === 'postgresql') await db?.em().execute(`drop schema if exists "${target.schema}" cascade`);
      await db?.close();
    });

    it('maps every control-api table exactly as the migrations create it', async () => {
      const diff = await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, schema: target.name === 'postgresql' ? target.schema : undefined });
      assert.deepEqual(
        diff.split(';').filter((statement) => /control_/.test(statement)),
        [],
      );
    });

    it('starts the pipeline of a commit once, however many image-built events race for it', async () => {
      const claims = await Promise.all(
        [1, 2, 3].map(() => db.em().transactional((em) => em.getRepository(PipelineRunSchema).claim('hello', 'abc1234', 'services-hello:orzo-abc1234'))),
      );
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(
        await db.em().getRepository(PipelineRunSchema).claim('hello', 'def5678', 'services-hello:orzo-def5678'),
        true,
        'another commit starts its own',
      );
    });

    it('advances a deploy once, after its last instance completed, however often completions arrive', async () => {
      const progress = db.em().getRepository(DeployInstanceSchema);
      await progress.requested('d1', ['local.main', 'local.canary']);
      assert.equal(await progress.complete('d1', 'local.main'), 1, 'one instance still open');
      assert.equal(await progress.complete('d1', 'local.canary'), 0);
      assert.equal(await progress.complete('d1', 'local.canary'), 0, 'a redelivered completion changes nothing');
      assert.deepEqual([await progress.claimAdvance('d1'), await progress.claimAdvance('d1')], [true, false]);
    });

    it('times a deploy out once and never after its advance; a timed-out deploy never advances', async () => {
      const progress = db.em().getRepository(DeployInstanceSchema);
      await progress.requested('t1', ['local.main', 'local.canary']);
      await progress.complete('t1', 'local.main');
      assert.equal(await progress.waiting('t1'), true);
      assert.deepEqual([await progress.claimTimeout('t1', 'too slow'), await progress.claimTimeout('t1', 'too slow')], [true, false]);
      assert.equal(await progress.waiting('t1'), false);
      assert.equal(await progress.complete('t1', 'local.canary'), 1, 'the failed claim keeps it open');
      assert.equal(await progress.claimAdvance('t1'), false);
      assert.deepEqual((await progress.ofDeploys(['t1'])).map((r) => [r.instanceKey, r.state]).sort(), [
        ['local.canary', 'completed'],
        ['local.main', 'completed'],
      ]);
      await progress.requested('t2', ['local.main']);
      await progress.complete('t2', 'local.main');
      assert.equal(await progress.claimAdvance('t2'), true);
      assert.equal(await progress.claimTimeout('t2', 'too slow'), false, 'an advanced deploy does not time out');
    });

    it('serialises the parallel steps of one commit: the second locker waits for the first to commit', async () => {
      const order: string[] = [];
      const rowLock = target.name === 'postgresql';
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const first = db.em().transactional(async (em) => {
        await em.getRepository(PipelineRunSchema).lock('hello', 'fff0000', 'img', rowLock);
        order.push('first locked');
        await held;
        order.push('first commits');
      });
      await delay(100);
      const second = db.em().transactional(async (em) => {
        await em.getRepository(PipelineRunSchema).lock('hello', 'fff0000', 'img', rowLock);
        order.push('second locked');
      });
      await delay(300);
      release();
      await Promise.all([first, second]);
      assert.deepEqual(order, ['first locked', 'first commits', 'second locked']);
    });

    it('never lets an older instance event overwrite a newer one', async () => {
      const replicas = db.em().getRepository(ReplicaSchema);
      await replicas.putUnlessNewer(replica('2026-11-25T10:00:02.000Z', 'Healthy'));
      await replicas.putUnlessNewer(replica('2026-11-25T10:00:01.000Z', 'Starting'));
      assert.deepEqual(
        (await db.em().getRepository(ReplicaSchema).ofService('hello')).map((r) => [r.state, r.updatedAt]),
        [['Healthy', '2026-11-25T10:00:02.000Z']],
      );
      await replicas.putUnlessNewer(replica('2026-11-25T10:00:03.000Z', 'Not Ready'));
      assert.deepEqual(
        (await db.em().getRepository(ReplicaSchema).ofService('hello')).map((r) => [r.state, r.port]),
        [['Not Ready', 31001]],
      );
      await replicas.remove('r1');
      assert.deepEqual(await db.em().getRepository(ReplicaSchema).ofService('hello'), []);
    });

    it('keeps the latest deploy.progressed of an instance, whatever order they arrive in', async () => {
      const progress = db.em().getRepository(InstanceProgressSchema);
      const row = (updatedAt: string, phase: string) => ({
        instanceKey: 'hello/local/main',
        service: 'hello',
        cluster: 'local',
        instance: 'main',
        deployId: 'd1',
        phase,
        message: phase,
        ready: 2,
        desired: 3,
        problems: '[]',
        updatedAt,
      });
      await progress.putUnlessNewer(row('2026-11-25T10:00:02.000Z', 'recovered'));
      await progress.putUnlessNewer(row('2026-11-25T10:00:01.000Z', 'degraded'));
      assert.deepEqual(
        (await db.em().getRepository(InstanceProgressSchema).ofService('hello')).map((p) => p.phase),
        ['recovered'],
      );
    });

    it('keeps the later state of a build whose events arrive out of order, and the fields an event does not carry', async () => {
      const view = new BuildViewService();
      const base = { buildId: 'b1', service: 'hello', commitSha: 'abc1234' };
      await db.em().transactional(async (em) => {
        await view.apply(em, '2026-11-25T10:00:05.000Z', { ...base, state: 'failed', step: 'Step 2/3 : RUN make', error: 'exit 2' });
        await view.apply(em, '2026-11-25T10:00:02.000Z', { ...base, state: 'running', image: 'services-hello:orzo-abc1234' });
        await view.apply(em, '2026-11-25T10:00:01.000Z', { ...base, state: 'requested', requestedBy: 'alice' });
      });
      const build = await db.em().getRepository(BuildSchema).byId('b1');
      assert.deepEqual(
        [build?.state, build?.step, build?.error, build?.image, build?.requestedBy, build?.requestedAt, build?.finishedAt],
        ['failed', 'Step 2/3 : RUN make', 'exit 2', '', 'alice', '2026-11-25T10:00:01.000Z', '2026-11-25T10:00:05.000Z'],
      );
    });

    it('lists history newest first in the order it was written, within one millisecond too', async () => {
      await db.em().transactional(async (em) => {
        for (const kind of ['build', 'skip', 'promote', 'done'] as const)
          await em.getRepository(HistoryEntrySchema).append({ service: 'web', kind, deployGroup: '', gitSha: 'abc1234', detail: kind, actor: 'pipeline' });
      });
      assert.deepEqual(
        (await db.em().getRepository(HistoryEntrySchema).latest('web', 3)).map((e) => e.kind),
        ['done', 'promote', 'skip'],
      );
    });

    it('hands the outbox over oldest first until each event is marked published', async () => {
      const outbox = db.em().getRepository(OutboxMessageSchema);
      const envelopes = [1, 2].map(() => createEnvelope(Subjects.BuildStarted, { source: 'control-api' }));
      for (const e of envelopes) {
        await outbox.enqueue(e, { buildId: 'b1', service: 'hello', commitSha: 'abc1234', image: 'x' });
        await delay(2); // a later millisecond: the order is by time first
      }
      assert.deepEqual(
        (await db.em().getRepository(OutboxMessageSchema).pending()).map((m) => m.id),
        envelopes.map((e) => e.id),
      );
      await outbox.markPublished(envelopes[0]!.id);
      assert.deepEqual(
        (await db.em().getRepository(OutboxMessageSchema).pending()).map((m) => m.id),
        [envelopes[1]!.id],
      );
    });
  });
}
