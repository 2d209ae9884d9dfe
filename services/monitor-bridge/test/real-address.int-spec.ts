import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import Docker from 'dockerode';
import { BusService } from '@orzo/bus';
import { InstanceSpec, ReplicaRef, Subjects, decodeEvent } from '@orzo/contracts';
import { createServiceApp, prepareService } from '@orzo/platform';
import { BUSYBOX_BASE, HttpContainer, NatsServerHandle, ensureBusyboxBase, startHttpContainer, startNatsServer, waitFor } from '@orzo/testing';
import { monitorBridge } from '../src/definition';

/** busybox httpd on 8080; `/status` exists only when `healthy`. */
const serve = (healthy: boolean) => [
  '/bin/sh',
  '-c',
  `mkdir -p /www && echo up > /www/index.html && ${healthy ? 'echo ok > /www/status && ' : ''}exec httpd -f -p 8080 -h /www`,
];

/**
 * On N hosts a replica is reached at its node's IP, not at 127.0.0.1: monitor-bridge must check
 * ReplicaRef.host. Two containers answer on the same port 8080 at their own Docker bridge IPs,
 * one healthy and one not; checked at 127.0.0.1 (or at any one address) they could not differ.
 */
describe('monitor-bridge checking replicas at their real address (host:port from ReplicaRef)', () => {
  const docker = new Docker();
  let nats: NatsServerHandle;
  let app: INestApplication;
  const containers: HttpContainer[] = [];
  const refs: Record<'good' | 'bad', ReplicaRef> = {} as never;

  const lastEvent = async (subject: string) => {
    const jsm = await jetstreamManager(app.get(BusService).connection);
    const m = await jsm.streams.getMessage('ORZO_INSTANCE', { last_by_subj: subject }).catch(() => null);
    if (!m) return undefined;
    const decoded = decodeEvent(subject, m.data);
    assert.ok(decoded.ok);
    return decoded.event.payload as { replica: ReplicaRef; checkOutput: string };
  };

  before(async () => {
    await ensureBusyboxBase(docker);
    for (const [name, healthy] of [
      ['good', true],
      ['bad', false],
    ] as const) {
      const c = await startHttpContainer(BUSYBOX_BASE, { port: 8080, path: '/', command: serve(healthy), labels: { 'orzo.test': 'monitor-real-address' } });
      containers.push(c);
      const ip = (await docker.getContainer(c.id).inspect()).NetworkSettings.Networks.bridge?.IPAddress ?? '';
      assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(!ip.startsWith('127.'));
      refs[name] = {
        service: 'web',
        instance: 'main',
        cluster: 'local',
        replicaId: name,
        host: ip,
        port: 8080,
        gitSha: 'abc',
        configHash: 'c',
        forceBounce: '',
      };
    }
    nats = await startNatsServer();
    const ctx = prepareService(monitorBridge, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-mon-addr-')),
      ORZO_LOG_LEVEL: 'silent',
      ORZO_HTTP_PORT: '0',
    });
    assert.ok(ctx);
    await monitorBridge.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, monitorBridge.module(ctx));
    await app.init();
  });
  after(async () => {
    await app?.close();
    await nats?.dispose();
    await Promise.all(containers.map((c) => c.stop()));
  });

  it('announces the replica at 172.x:8080 healthy and the one beside it unhealthy, naming the address it checked', async () => {
    const bus = app.get(BusService);
    const spec = {
      service: 'web',
      instance: 'main',
      cluster: 'local',
      replicas: 2,
      healthcheck: { mode: 'http', uri: '/status', cmd: '', gracePeriodSeconds: 0, intervalSeconds: 0.2, timeoutSeconds: 1, maxConsecutiveFailures: 2 },
    } as Partial<InstanceSpec>;
    await bus.publish(Subjects.DeployRequested, {
      deployId: 'd1',
      service: 'web',
      deployGroup: 'local.main',
      specs: [spec as InstanceSpec],
      requestedBy: 't',
      reason: 't',
    });
    for (const ref of [refs.good, refs.bad]) await bus.publish(Subjects.InstanceStarted, { replica: ref, image: 'x', registrations: ['web.main'] });
    const healthy = await waitFor(() => lastEvent(Subjects.InstanceHealthy), { what: 'the good replica announced healthy' });
    const unhealthy = await waitFor(() => lastEvent(Subjects.InstanceUnhealthy), { what: 'the bad replica announced unhealthy' });
    assert.equal(healthy.replica.replicaId, 'good');
    assert.equal(healthy.replica.host, refs.good.host);
    assert.match(healthy.checkOutput, new RegExp(`^GET http://${refs.good.host.replace(/\./g, '\\.')}:8080/status: HTTP 200`));
    assert.equal(unhealthy.replica.replicaId, 'bad');
    assert.match(unhealthy.checkOutput, new RegExp(`^GET http://${refs.bad.host.replace(/\./g, '\\.')}:8080/status: HTTP 404`));
  });
});
