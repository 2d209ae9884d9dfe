import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { ServiceError, status } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { BusService } from '@orzo/bus';
import { BuildLogs, BuildRequested, DeployRequested, Subjects, api, decodeEvent } from '@orzo/contracts';
import { NatsServerHandle, readStream, startNatsServer, waitFor } from '@orzo/testing';
import { SOA_DIR, callUnary, startControlApi } from './control-api-rig';

const SHA = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

const call = callUnary;

describe('control-api builds, build logs and the deploy.yaml pipeline, on real NATS and SQLite', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  let client: api.ControlApiClient;
  let adminName: string;

  before(async () => {
    nats = await startNatsServer();
    ({ app, client, adminName } = await startControlApi(nats));
  });
  after(async () => {
    client?.close();
    await app?.close();
    await nats?.dispose();
  });

  const bus = () => app.get(BusService);
  const events = async <T>(stream: string, subject: string): Promise<T[]> =>
    (await readStream(bus().connection, stream, subject)).map((m) => decodeEvent(subject, m.data)).flatMap((d) => (d.ok ? [d.event.payload as T] : []));
  const rejects = (p: Promise<unknown>, code: status, message: RegExp) =>
    assert.rejects(p, (err: ServiceError) => {
      assert.equal(err.code, code, err.details);
      assert.match(err.details, message);
      return true;
    });

  it('RequestBuild publishes build.requested with the service.yaml repository, and refuses bad requests publishing nothing', async () => {
    const res = await call<api.RequestBuildRequest, api.RequestBuildResponse>(client, 'requestBuild', {
      service: 'hello',
      commitSha: SHA,
      gitUrl: '',
      dockerfile: '',
      context: '',
      buildArgs: {},
      requestedBy: 'alice',
      force: false,
      skipPipeline: false,
    });
    assert.equal(res.image, `services-hello:orzo-${SHA}`);
    const requested = await waitFor(async () => (await events<BuildRequested>('ORZO_BUILD', Subjects.BuildRequested)).find((e) => e.buildId === res.buildId));
    assert.equal(requested.gitUrl, resolve(SOA_DIR, 'hello', '../../services/hello'));
    assert.equal(requested.requestedBy, adminName, 'the actor is the token, not what the body claims');
    const count = (await events('ORZO_BUILD', Subjects.BuildRequested)).length;
    const base = { service: 'hello', commitSha: SHA, gitUrl: '', dockerfile: '', context: '', buildArgs: {}, requestedBy: '', force: false };
    await rejects(
      call(client, 'requestBuild', { ...base, service: '', commitSha: '' }),
      status.INVALID_ARGUMENT,
      /service is required; commit_sha is required/,
    );
    await rejects(call(client, 'requestBuild', { ...base, commitSha: 'HEAD' }), status.INVALID_ARGUMENT, /"HEAD" is not a hex git sha/);
    await rejects(call(client, 'requestBuild', { ...base, service: 'helo' }), status.NOT_FOUND, /unknown service helo.*did you mean hello\?/);
    assert.equal((await events('ORZO_BUILD', Subjects.BuildRequested)).length, count);
  });

  it('ListBuilds and GetBuildLog follow the builder: states from its events, lines from the log stream', async () => {
    const buildId = randomUUID();
    await bus().publish(Subjects.BuildRequested, {
      buildId,
      service: 'hello',
      gitUrl: '/repo',
      commitSha: SHA,
      dockerfile: '',
      context: '',
      buildArgs: {},
      requestedBy: 'bob',
      force: false,
      skipPipeline: false,
    });
    await bus().publish(Subjects.BuildFailed, {
      buildId,
      service: 'hello',
      commitSha: SHA,
      step: 'Step 2/3 : RUN make',
      error: 'returned a non-zero code: 2',
      logTail: [],
    });
    const js = jetstream(bus().connection);
    for (const [i, line] of ['Step 1/3 : FROM base', 'Step 2/3 : RUN make', 'make: *** error'].entries())
      await js.publish(BuildLogs.subject('hello', buildId), JSON.stringify({ at: `2026-11-25T00:00:0${i}.000Z`, line }));
    await js.publish(BuildLogs.subject('hello', buildId), JSON.stringify({ at: '2026-11-25T00:00:09.000Z', line: 'failed at Step 2/3', end: 'failed' }));
    const listed = await waitFor(async () =>
      (await call<api.ListBuildsRequest, api.ListBuildsResponse>(client, 'listBuilds', { service: 'hello', limit: 10 })).builds.find(
        (b) => b.buildId === buildId && b.state === 'failed',
      ),
    );
    assert.deepEqual([listed.step, listed.error, listed.requestedBy], ['Step 2/3 : RUN make', 'returned a non-zero code: 2', 'bob']);
    const lines: api.BuildLogLine[] = [];
    await new Promise<void>((res, rej) => {
      const s = client.getBuildLog({ service: 'hello', buildId: '', follow: true });
      s.on('data', (l: api.BuildLogLine) => lines.push(l));
      s.on('error', rej);
      s.on('end', res);
    });
    assert.deepEqual(
      lines.map((l) => l.line),
      ['Step 1/3 : FROM base', 'Step 2/3 : RUN make', 'make: *** error', 'failed at Step 2/3'],
      'the latest build by default, to its end',
    );
    assert.equal(lines.at(-1)!.end, 'failed');
    await assert.rejects(
      new Promise((res, rej) => {
        const s = client.getBuildLog({ service: '', buildId: 'no-such-build', follow: false });
        s.on('data', () => undefined);
        s.on('error', rej);
        s.on('end', res);
      }),
      (e: ServiceError) => e.code === status.NOT_FOUND && /no build no-such-build/.test(e.details),
    );
  });

  it('CancelBuild says clearly when no builder answers', async () => {
    await rejects(call(client, 'cancelBuild', { buildId: '' }), status.INVALID_ARGUMENT, /build_id is required/);
    await rejects(call(client, 'cancelBuild', { buildId: randomUUID() }), status.UNAVAILABLE, /the builder did not answer/);
  });

  it('build.image-built marks the first deploy group once per commit; its completion finishes the pipeline, all in the history', async () => {
    await rejects(call(client, 'getLatestDeployment', { service: 'hello', deployGroup: 'local.main' }), status.NOT_FOUND, /never marked/);
    const image = `services-hello:orzo-${SHA}`;
    const built = { buildId: randomUUID(), service: 'hello', commitSha: SHA, image, imageId: 'sha256:1', digest: '', external: false, skipPipeline: false };
    await bus().publish(Subjects.BuildImageBuilt, built);
    await bus().publish(Subjects.BuildImageBuilt, { ...built, buildId: randomUUID() });
    const deploy = await waitFor(async () => (await events<DeployRequested>('ORZO_DEPLOY', Subjects.DeployRequested)).find((d) => d.reason === 'pipeline'));
    assert.deepEqual([deploy.deployGroup, deploy.specs[0]!.image, deploy.requestedBy], ['local.main', image, 'pipeline']);
    const latest = await call<api.GetLatestDeploymentRequest, api.GetLatestDeploymentResponse>(client, 'getLatestDeployment', {
      service: 'hello',
      deployGroup: 'local.main',
    });
    assert.deepEqual([latest.gitSha, latest.image, latest.reason], [SHA, image, 'pipeline']);
    await bus().publish(Subjects.DeployCompleted, {
      deployId: deploy.deployId,
      service: 'hello',
      instance: 'main',
      cluster: 'local',
      image,
      gitSha: SHA,
      configHash: 'x',
    });
    const history = await waitFor(async () => {
      const h = await call<api.GetHistoryRequest, api.GetHistoryResponse>(client, 'getHistory', { service: 'hello', limit: 50 });
      return h.entries.some((e) => e.kind === 'done') ? h : undefined;
    });
    assert.deepEqual(
      history.entries
        .filter((e) => e.gitSha === SHA)
        .map((e) => e.kind)
        .reverse(),
      ['build', 'promote', 'done'],
    );
    assert.equal(
      (await events<DeployRequested>('ORZO_DEPLOY', Subjects.DeployRequested)).filter((d) => d.reason === 'pipeline').length,
      1,
      'the second image-built of the same commit started nothing',
    );
    await rejects(call(client, 'getLatestDeployment', { service: 'hello', deployGroup: 'prod.main' }), status.NOT_FOUND, /unknown deploy group prod.main/);
    await rejects(call(client, 'getHistory', { service: '', limit: 0 }), status.INVALID_ARGUMENT, /service is required/);
  });
});
