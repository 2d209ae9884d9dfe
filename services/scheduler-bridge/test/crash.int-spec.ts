import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import Docker from 'dockerode';
import { EventPublisher, NatsConnection, connectNats } from '@orzo/bus';
import { Subjects } from '@orzo/contracts';
import { NatsServerHandle, buildImage, ensureBusyboxBase, freePort, startNatsServer, waitFor } from '@orzo/testing';
import { DockerEngine } from '../src/docker-engine';
import { helloSpec } from './hello-spec';

const main = join(__dirname, '..', 'src', 'main.js');
const examples = join(__dirname, '..', '..', '..', '..', 'examples', 'services', 'hello');
const cluster = `crash-${process.pid}`;
const SHA = '4444444444444444444444444444444444444444';

describe('scheduler-bridge killed -9 in the middle of a deploy', () => {
  const engine = new DockerEngine(new Docker());
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let bridge: ChildProcess | undefined;
  const env: NodeJS.ProcessEnv = {};

  const start = async () => {
    bridge = spawn(process.execPath, [main], { env, stdio: 'ignore' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${env.ORZO_HTTP_PORT}/healthz`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      what: 'scheduler-bridge up',
    });
  };

  before(async () => {
    await ensureBusyboxBase();
    await buildImage(new Docker(), { context: examples, tag: 'orzo-test/hello:crash', buildargs: { VERSION: 'crash' } });
    nats = await startNatsServer();
    nc = await connectNats(nats.url, 'test');
    Object.assign(env, {
      PATH: process.env.PATH,
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-crash-')),
      ORZO_HTTP_PORT: String(await freePort()),
      ORZO_LOG_LEVEL: 'warn',
      ORZO_SCHEDULER_CLUSTERS: cluster,
      ORZO_RECONCILE_INTERVAL_MS: '1000',
    });
    assert.equal(spawnSync(process.execPath, [main, 'migrate'], { env }).status, 0);
  });
  after(async () => {
    bridge?.kill('SIGKILL');
    for (const r of await engine.list({ cluster })) await engine.remove(r.id);
    await nc.close();
    await nats.dispose();
  });

  it('completes the deploy after a restart, with no duplicate replicas', async () => {
    await start();
    const spec = helloSpec(cluster, { image: 'orzo-test/hello:crash', gitSha: SHA, configHash: 'configcrash000' });
    await new EventPublisher(jetstream(nc), { source: 'test' }).publish(Subjects.DeployRequested, {
      deployId: 'crash-1',
      service: 'hello',
      deployGroup: spec.deployGroup,
      specs: [spec],
      requestedBy: 'test',
      reason: 'test',
    });
    await waitFor(async () => (await engine.list({ cluster })).length >= 1, { timeoutMs: 30_000, what: 'the first replica' });
    bridge!.kill('SIGKILL');
    await new Promise((r) => bridge!.once('exit', r));
    const atCrash = (await engine.list({ cluster })).length;
    await start();
    await waitFor(
      async () => {
        const rs = await engine.list({ cluster });
        return rs.length === 3 && rs.every((r) => r.running);
      },
      { timeoutMs: 60_000, what: '3 running replicas after the restart' },
    );
    await new Promise((r) => setTimeout(r, 2_500));
    const rs = await engine.list({ cluster });
    assert.equal(rs.length, 3, `no duplicates (${atCrash} existed at the crash): ${rs.map((r) => r.name).join(', ')}`);
  });
});
