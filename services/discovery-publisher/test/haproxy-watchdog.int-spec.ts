import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registration } from '@orzo/contracts';
import { createLogger } from '@orzo/platform';
import { canConnect, freePort, stopHaproxyIn, waitFor } from '@orzo/testing';
import { HaproxyProcess } from '../src/haproxy/haproxy-process';
import { HaproxyWatchdog } from '../src/haproxy/haproxy-watchdog';

/** SIGKILL to HAProxy's master and its workers: HAProxy dead as after an OOM kill. */
function killHaproxy(master: number): void {
  const workers = execFileSync('pgrep', ['-P', String(master)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(Number);
  for (const pid of [master, ...workers]) process.kill(pid, 'SIGKILL');
}

describe('HaproxyWatchdog with a real HAProxy', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orzo-watchdog-'));
  const logger = createLogger('discovery-publisher', 'silent');
  const haproxy = new HaproxyProcess(join(dataDir, 'haproxy'), 'haproxy', logger, '127.0.0.4');
  let frontend: Registration;
  let restarts = 0;
  let wanted = true;
  const watchdog = new HaproxyWatchdog(
    haproxy,
    logger,
    () => wanted,
    async () => {
      restarts++;
      await haproxy.apply([frontend]);
    },
    50,
  );

  before(async () => {
    frontend = Registration.fromPartial({
      name: 'web.main',
      proxyPort: await freePort(),
      mode: 'http',
      timeoutConnectMs: 200,
      timeoutServerMs: 1000,
      retries: 1,
    });
    await haproxy.apply([frontend]);
    watchdog.start();
  });
  after(async () => {
    watchdog.stop();
    await stopHaproxyIn(dataDir);
  });

  it('starts a killed HAProxy again, listening on its bind address', async () => {
    const first = haproxy.masterPid()!;
    assert.ok(first);
    killHaproxy(first);
    await waitFor(() => haproxy.masterPid() !== undefined && haproxy.masterPid() !== first, { what: 'a new HAProxy master' });
    assert.equal(restarts, 1);
    await waitFor(() => canConnect(frontend.proxyPort, '127.0.0.4'), { what: 'the frontend to listen on 127.0.0.4 again' });
  });

  it('leaves it down while it is not wanted (no frontend: HAProxy refuses to run)', async () => {
    wanted = false;
    const before = restarts;
    killHaproxy(haproxy.masterPid()!);
    await waitFor(() => haproxy.masterPid() === undefined, { what: 'HAProxy to be gone' });
    await new Promise((r) => setTimeout(r, 300)); // six watchdog rounds
    assert.equal(restarts, before);
    assert.equal(haproxy.masterPid(), undefined);
    wanted = true;
    await waitFor(() => haproxy.masterPid() !== undefined, { what: 'HAProxy back once wanted' });
  });
});
