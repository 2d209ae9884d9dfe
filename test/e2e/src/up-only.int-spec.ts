import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { NatsServerHandle, ORZO_CLI, httpGet, httpPortVar, platformEnv, readyTargetsOf, startNatsServer, stopHaproxyIn, waitUntilReady } from '@orzo/testing';

/**
 * One more host of an N-host Orzo: `orzo up --only discovery-publisher` with the follower's
 * variables runs that service alone (migrated first), its HAProxy bound on the host's
 * address, and stops cleanly on Ctrl-C.
 */
describe('orzo up --only discovery-publisher (one more host)', () => {
  let nats: NatsServerHandle;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats.dispose();
  });

  it('migrates and runs only that service, as a follower with its host id, and Ctrl-C stops it with exit 0', async () => {
    // Info level whatever the caller's ORZO_LOG_LEVEL: the test reads what the follower logs.
    const env = await platformEnv(nats.url, {
      ORZO_HOST_ID: 'host-2',
      ORZO_PROXY_BIND: '127.0.0.6',
      ORZO_DISCOVERY_REGISTRAR: 'false',
      ORZO_LOG_LEVEL: 'info',
    });
    const child = spawn(process.execPath, [ORZO_CLI, 'up', '--only', 'discovery-publisher', '--json-logs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitUntilReady(readyTargetsOf(env, ['discovery-publisher']), {
        outputOf: () => output,
        exited: () => (child.exitCode !== null ? `orzo up exited (${child.exitCode}) while starting` : undefined),
      });
      const health = await httpGet(`http://127.0.0.1:${env[httpPortVar('discovery-publisher')]}/healthz`, 5_000);
      assert.equal(health.status, 200, health.body);
      assert.match(health.body, /host host-2, frontends on 127\.0\.0\.6: no frontends yet/);
      const services = new Set([...output.matchAll(/^([a-z-]+)\s+\| /gm)].map((m) => m[1]));
      assert.deepEqual([...services], ['discovery-publisher']);
      // A follower consumes no event (a registrar logs "consuming" for each of its four handlers).
      assert.doesNotMatch(output, /"msg":"consuming"/);
      assert.match(output, /"hostId":"host-2","bind":"127\.0\.0\.6","msg":"following the discovery registry/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, output.slice(-2000));
    await stopHaproxyIn(env.ORZO_DATA_DIR!);
  });
});
