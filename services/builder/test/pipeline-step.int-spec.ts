import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { PipelineStepFinished, Subjects, decodeEvent } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import { GitRepo, NatsServerHandle, SoaCopy, copySoaConfigs, createGitRepo, readStream, startNatsServer, waitFor } from '@orzo/testing';
import { builder } from '../src/definition';

describe('builder running a deploy.yaml step after a deploy group (build.step-requested), on real NATS and git', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let repo: GitRepo;
  let soa: SoaCopy;
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-builder-steps-'));

  before(async () => {
    nats = await startNatsServer();
    repo = createGitRepo();
    soa = await copySoaConfigs({ files: { 'service.yaml': `description: steps\ngit_url: ${repo.dir}\n` } });
    const ctx = prepareService(builder, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: dataDir,
      ORZO_LOG_LEVEL: 'silent',
      ORZO_HTTP_PORT: '0',
      ORZO_SOA_DIR: soa.dir,
    });
    assert.ok(ctx);
    await builder.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, builder.module(ctx));
    await app.init();
  });
  after(async () => {
    await app?.close();
    await nats?.dispose();
    rmSync(soa.dir, { recursive: true, force: true });
    rmSync(repo.dir, { recursive: true, force: true });
  });

  const step = async (sha: string, command: string): Promise<PipelineStepFinished> => {
    const runId = randomUUID();
    await app.get(BusService).publish(Subjects.BuildStepRequested, {
      runId,
      service: soa.service,
      commitSha: sha,
      image: `services-${soa.service}:orzo-${sha}`,
      step: 'performance-check',
      stepIndex: 1,
      command,
    });
    return waitFor(
      async () => {
        for (const m of await readStream(app.get(BusService).connection, 'ORZO_BUILD', Subjects.BuildStepFinished)) {
          const d = decodeEvent(Subjects.BuildStepFinished, m.data);
          if (d.ok && (d.event.payload as PipelineStepFinished).runId === runId) return d.event.payload as PipelineStepFinished;
        }
        return undefined;
      },
      { timeoutMs: 30_000, what: `build.step-finished of ${runId}` },
    );
  };

  it('runs the command in a checkout of the commit with the image and sha set, and says how it ended', async () => {
    const sha = repo.commit({ 'perf.sh': 'test -f perf.sh && echo "checked $ORZO_IMAGE at $GIT_SHA"\n' }, 'perf');
    const passed = await step(sha, 'sh perf.sh');
    assert.equal(passed.ok, true, passed.detail);
    assert.equal(passed.detail, `sh perf.sh exited with 0: checked services-${soa.service}:orzo-${sha} at ${sha}`);
    const failed = await step(sha, 'echo too slow >&2; exit 4');
    assert.equal(failed.ok, false);
    assert.equal(failed.detail, 'echo too slow >&2; exit 4 exited with 4: too slow');
    const missing = await step('0123456789abcdef0123456789abcdef01234567', 'true');
    assert.equal(missing.ok, false);
    assert.match(missing.detail, /could not run: commit 0123456789abcdef0123456789abcdef01234567 is not in/);
  });
});
