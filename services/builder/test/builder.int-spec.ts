import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import Docker from 'dockerode';
import { BusService, DeadLetterReader } from '@orzo/bus';
import { BuildFailed, BuildImageBuilt, BuildLogLine, BuildLogs, Rpcs, Subjects, decodeEvent } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { createServiceApp, prepareService } from '@orzo/platform';
import {
  GitRepo,
  NatsServerHandle,
  RegistryHandle,
  createGitRepo,
  ensureBusyboxBase,
  httpGet,
  readStream,
  startNatsServer,
  startRegistry,
  waitFor,
} from '@orzo/testing';
import { builder } from '../src/definition';

const soaDir = join(__dirname, '..', '..', '..', '..', 'examples', 'soa-configs');
const dockerfile = (run: string) => `FROM orzo/busybox:1\nARG LABEL=none\nRUN ${run}\nCMD ["sh", "-c", "cat /built"]\n`;

describe('builder on real Docker Engine, NATS, a git repository and a registry', () => {
  const docker = new Docker();
  let nats: NatsServerHandle;
  let registry: RegistryHandle;
  let app: INestApplication;
  let repo: GitRepo;
  const images: string[] = [];

  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-builder-'));
  /** (Re)starts the builder on the same data dir, NATS and registry. */
  const boot = async (env: Record<string, string> = {}) => {
    await app?.close();
    const ctx = prepareService(builder, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: dataDir,
      ORZO_LOG_LEVEL: 'silent',
      ORZO_HTTP_PORT: '0',
      ORZO_SOA_DIR: soaDir,
      ORZO_BUILD_CONCURRENCY: '2',
      ...env,
    });
    assert.ok(ctx);
    await builder.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, builder.module(ctx));
    await app.init();
  };

  before(async () => {
    await ensureBusyboxBase(docker);
    nats = await startNatsServer();
    registry = await startRegistry();
    repo = createGitRepo();
    // The registry comes from orzo.yaml or ORZO_REGISTRY, as for every service reading the system config.
    process.env.ORZO_REGISTRY = registry.address;
    await boot();
  });

  after(async () => {
    delete process.env.ORZO_REGISTRY;
    await app?.close();
    for (const i of images)
      await docker
        .getImage(i)
        .remove({ force: true })
        .catch(() => undefined);
    await registry?.stop();
    await nats?.dispose();
  });

  const bus = () => app.get(BusService);
  const request = async (sha: string, extra: { force?: boolean; gitUrl?: string; dockerfile?: string; context?: string } = {}) => {
    const buildId = randomUUID();
    await bus().publish(
      Subjects.BuildRequested,
      {
        buildId,
        service: 'hello',
        gitUrl: extra.gitUrl ?? repo.dir,
        commitSha: sha,
        dockerfile: extra.dockerfile ?? '',
        context: extra.context ?? '',
        buildArgs: {},
        requestedBy: 'test',
        force: !!extra.force,
        skipPipeline: false,
      },
      { source: 'test' },
    );
    images.push(`${registry.address}/services-hello:orzo-${sha}`);
    return buildId;
  };
  /** The outcome event of a build, read back from the ORZO_BUILD stream. */
  const outcome = async (buildId: string): Promise<{ ok: true; e: BuildImageBuilt } | { ok: false; e: BuildFailed }> =>
    waitFor(
      async () => {
        for (const m of await readStream(bus().connection, 'ORZO_BUILD')) {
          if (m.subject !== Subjects.BuildImageBuilt && m.subject !== Subjects.BuildFailed) continue;
          const d = decodeEvent(m.subject, m.data);
          if (d.ok && (d.event.payload as { buildId: string }).buildId === buildId) {
            return m.subject === Subjects.BuildImageBuilt
              ? { ok: true as const, e: d.event.payload as BuildImageBuilt }
              : { ok: false as const, e: d.event.payload as BuildFailed };
          }
        }
        return undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: `the outcome of build ${buildId}` },
    );
  const logOf = async (buildId: string): Promise<BuildLogLine[]> => {
    const lines = (await readStream(bus().connection, BuildLogs.stream, BuildLogs.subject('hello', buildId))).map((m) => m.json<BuildLogLine>());
    return lines;
  };
  const row = async (id: string) =>
    (
      await app
        .get(DatabaseHolder)
        .database.em()
        .execute<Array<{ state: string; follows: string | null; image_id: string | null; step: string | null }>>(
          'select state, follows, image_id, step from builder_build where id = ?',
          [id],
        )
    )[0];

  it('builds a commit, tags it <registry>/services-<service>:orzo-<sha>, pushes it, and logs every step', async () => {
    const sha = repo.commit({ Dockerfile: dockerfile('echo first > /built') }, 'first');
    const id = await request(sha);
    const res = await outcome(id);
    assert.ok(res.ok, `expected success, got ${JSON.stringify(res.e)}`);
    assert.equal(res.e.image, `${registry.address}/services-hello:orzo-${sha}`);
    assert.match(res.e.digest, /^sha256:[0-9a-f]{64}$/);
    const local = await docker.getImage(res.e.image).inspect();
    assert.equal(local.Id, res.e.imageId);
    assert.equal(local.Config.Labels['orzo.git_sha'], sha);
    const tags = JSON.parse((await httpGet(`http://${registry.address}/v2/services-hello/tags/list`)).body) as { tags: string[] };
    assert.ok(tags.tags.includes(`orzo-${sha}`), `registry tags: ${tags.tags.join(', ')}`);
    const log = await logOf(id);
    assert.ok(
      log.some((l) => /^Step 3\/\d+ : RUN echo first/.test(l.line)),
      'the log carries the Dockerfile steps',
    );
    assert.ok(log.some((l) => l.line.startsWith('pushed ')));
    assert.equal(log.at(-1)?.end, 'succeeded');
    assert.equal((await row(id))?.state, 'succeeded');
  });

  it('a failing RUN step gives build.failed with that step, the error line and the log tail', async () => {
    const sha = repo.commit({ Dockerfile: dockerfile('echo about to fail && exit 3') }, 'broken');
    const id = await request(sha);
    const res = await outcome(id);
    assert.equal(res.ok, false);
    assert.match(res.e.step, /^Step 3\/\d+ : RUN echo about to fail && exit 3$/);
    assert.match((res.e as BuildFailed).error, /returned a non-zero code: 3/);
    assert.ok((res.e as BuildFailed).logTail.includes('about to fail'), (res.e as BuildFailed).logTail.join('\n'));
    assert.equal((await logOf(id)).at(-1)?.end, 'failed');
  });

  it('a commit that is not in the repository fails at fetch, naming it', async () => {
    const id = await request('0123456789abcdef0123456789abcdef01234567');
    const res = await outcome(id);
    assert.equal(res.ok, false);
    assert.equal(res.e.step, 'fetch');
    assert.match((res.e as BuildFailed).error, /commit 0123456789abcdef0123456789abcdef01234567 is not in/);
  });

  it('builds from a context directory of the commit, and fails at fetch naming a Dockerfile the commit does not have', async () => {
    const sha = repo.commit({ 'app/Dockerfile': dockerfile('echo from-app > /built'), 'app/extra.txt': 'extra' }, 'context dir');
    const built = await outcome(await request(sha, { context: 'app' }));
    assert.ok(built.ok, JSON.stringify(built.e));
    const missing = await outcome(await request(sha, { context: 'app', dockerfile: 'Nope.Dockerfile', force: true }));
    assert.equal(missing.ok, false);
    assert.equal(missing.e.step, 'fetch');
    assert.match((missing.e as BuildFailed).error, new RegExp(`commit ${sha} has no app/Nope.Dockerfile`));
  });

  it('never moves an existing tag to a different image unless forced', async () => {
    const sha = repo.commit({ Dockerfile: dockerfile('echo moved > /built') }, 'tag test');
    const tag = `${registry.address}/services-hello:orzo-${sha}`;
    // Somebody already has this tag pointing at another image.
    execFileSync('docker', ['tag', 'orzo/busybox:1', tag]);
    const before = (await docker.getImage(tag).inspect()).Id;
    const refused = await outcome(await request(sha));
    assert.equal(refused.ok, false);
    assert.equal(refused.e.step, 'tag');
    assert.match((refused.e as BuildFailed).error, /refusing to move the tag/);
    assert.equal((await docker.getImage(tag).inspect()).Id, before, 'the tag still points at the old image');
    const forced = await outcome(await request(sha, { force: true }));
    assert.ok(forced.ok, JSON.stringify(forced.e));
    assert.notEqual((await docker.getImage(tag).inspect()).Id, before);
  });

  it('builds the same commit once: a concurrent request waits for the build, a later one reuses the image', async () => {
    const sha = repo.commit({ Dockerfile: dockerfile('sleep 2 && echo once > /built') }, 'slow');
    const [a, b] = [await request(sha), await request(sha)];
    const [ra, rb] = [await outcome(a), await outcome(b)];
    assert.ok(ra.ok && rb.ok);
    assert.equal((ra.e as BuildImageBuilt).imageId, (rb.e as BuildImageBuilt).imageId);
    const rows = [await row(a), await row(b)];
    assert.equal(rows.filter((r) => r?.follows).length, 1, `one request followed the other: ${JSON.stringify(rows)} ${JSON.stringify(await logOf(b))}`);
    assert.equal(
      (await logOf(a)).filter((l) => l.line.startsWith('Step 1/')).length + (await logOf(b)).filter((l) => l.line.startsWith('Step 1/')).length,
      1,
      'docker built once',
    );
    const c = await request(sha);
    const rc = await outcome(c);
    assert.ok(rc.ok);
    assert.ok((await logOf(c)).some((l) => /already built .* reusing it/.test(l.line)));
  });

  it('cancels a running build on request', async () => {
    const sha = repo.commit({ Dockerfile: dockerfile('sleep 120 && echo never > /built') }, 'endless');
    const id = await request(sha);
    await waitFor(async () => (await row(id))?.state === 'running' && (await logOf(id)).some((l) => l.line.startsWith('Step 3/')), {
      timeoutMs: 60_000,
      what: 'the build to reach its RUN step',
    });
    const t = Date.now();
    const reply = await bus().request(Rpcs.cancelBuild, { buildId: id, by: 'the test' }, { timeout: 5_000 });
    assert.equal(reply.cancelled, true);
    const res = await outcome(id);
    assert.equal(res.ok, false);
    assert.match((res.e as BuildFailed).error, /cancelled by the test/);
    assert.ok(Date.now() - t < 30_000, 'cancelled long before the RUN step would end');
    assert.equal((await row(id))?.state, 'cancelled');
  });

  it('dead-letters a request it can never build on its first delivery: a sha that is not one, an unknown service', async () => {
    const bad = { gitUrl: repo.dir, dockerfile: '', context: '', buildArgs: {}, requestedBy: 'test', force: false, skipPipeline: false };
    const badShaId = randomUUID();
    const badSha = await bus().publish(Subjects.BuildRequested, { ...bad, buildId: badShaId, service: 'hello', commitSha: 'main' }, { source: 'test' });
    const nosuch = await bus().publish(Subjects.BuildRequested, { ...bad, buildId: randomUUID(), service: 'nosuch', commitSha: 'abcdef1' }, { source: 'test' });
    const parked = await waitFor(
      async () => {
        const found = await new DeadLetterReader(bus().connection).list({ consumer: 'builder-on-build-requested' });
        const of = (id: string) => found.find((d) => d.eventId === id);
        return of(badSha.envelope.id) && of(nosuch.envelope.id) ? [of(badSha.envelope.id)!, of(nosuch.envelope.id)!] : undefined;
      },
      { timeoutMs: 20_000, what: 'both requests on the dead-letter stream' },
    );
    assert.deepEqual(
      parked.map((d) => d.deliveryCount),
      [1, 1],
      'parked on the first delivery, not retried',
    );
    assert.match(parked[0]!.error, /commit_sha "main" is not a hex git sha/);
    assert.match(parked[1]!.error, /unknown service nosuch/);
    assert.equal(await row(badShaId), undefined, 'no build recorded');
  });

  it('fails a build that outlives ORZO_BUILD_TIMEOUT_S, saying so', async () => {
    await boot({ ORZO_BUILD_TIMEOUT_S: '3' });
    const sha = repo.commit({ Dockerfile: dockerfile('sleep 60 && echo late > /built') }, 'too slow');
    const t = Date.now();
    const res = await outcome(await request(sha));
    assert.equal(res.ok, false);
    assert.match((res.e as BuildFailed).error, /timed out after 3s \(ORZO_BUILD_TIMEOUT_S\)/);
    assert.ok(Date.now() - t < 30_000, 'stopped at the timeout, not at the end of the RUN step');
  });
});
