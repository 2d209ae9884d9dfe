import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HaproxyRuntime } from '../src/haproxy-runtime';

/**
 * A real HAProxy (master-worker, as discovery-publisher runs it) with a backend of 4 slots and
 * its frontend on a unix socket (no TCP port to pick); its CLI closes an idle session after 1 s.
 */
describe('HaproxyRuntime: one persistent runtime API session in interactive mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orzo-haproxy-runtime-'));
  const socket = join(dir, 'haproxy.sock');
  const pidFile = join(dir, 'haproxy.pid');
  const config = (backends: string[]) =>
    [
      'global',
      '  master-worker',
      `  stats socket ${socket} mode 600 level admin expose-fd listeners`,
      '  stats timeout 1s',
      'defaults',
      '  mode http',
      '  timeout connect 200ms',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend f',
      `  bind unix@${join(dir, 'f.sock')}`,
      `  default_backend ${backends[0]}`,
      ...backends.flatMap((b) => [`backend ${b}`, '  server-template slot 1-4 127.0.0.1:1 disabled']),
      '',
    ].join('\n');
  const cfgPath = join(dir, 'haproxy.cfg');
  const master = () => Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  let runtime: HaproxyRuntime;

  before(() => {
    writeFileSync(cfgPath, config(['b']));
    const started = spawnSync('haproxy', ['-W', '-D', '-f', cfgPath, '-p', pidFile], { encoding: 'utf8' });
    assert.equal(started.status, 0, started.stderr);
    runtime = new HaproxyRuntime(socket);
  });
  after(async () => {
    runtime?.reset();
    try {
      process.kill(master(), 'SIGTERM');
    } catch {
      // not running
    }
    await new Promise((r) => setTimeout(r, 200));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the socket answers (HAProxy daemonizes before its worker listens). */
  const ready = async (backend: string) => {
    for (let i = 0; i < 200; i++) {
      runtime.reset();
      const servers = await runtime.servers().catch(() => []);
      if (servers.some((s) => s.backend === backend)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`haproxy did not come up with backend ${backend}`);
  };

  it('answers commands sent together, each in order, and reads the slots they set', async () => {
    await ready('b');
    const answers = await Promise.all([
      runtime.command(['set server b/slot1 addr 127.0.0.2 port 8081', 'set server b/slot1 state ready']),
      runtime.servers('b'),
      runtime.command('set server b/nope state ready'),
      runtime.command(['set server b/slot2 addr 127.0.0.3 port 8082', 'set server b/slot2 state ready', 'show servers state b']),
    ]);
    assert.match(answers[0] as string, /port changed from '1' to '8081'/);
    const slot1 = (answers[1] as Awaited<ReturnType<HaproxyRuntime['servers']>>).find((s) => s.server === 'slot1');
    assert.deepEqual(slot1 && { addr: slot1.addr, port: slot1.port, opState: slot1.opState }, { addr: '127.0.0.2', port: 8081, opState: 2 });
    assert.match(answers[2] as string, /No such server/);
    assert.match(answers[3] as string, /^\d+ b 2 slot2 127\.0\.0\.3 2 /m, 'the last line of a batch answered after the ones before it');
  });

  it('refuses a line that would hold two commands', async () => {
    await assert.rejects(runtime.command('set server b/slot1 state maint; show info'), /one command per line/);
  });

  it('fails only the commands not answered in time: the others in flight get their own answers, on a new session', async () => {
    await runtime.command('set server b/slot4 state maint');
    // The worker stopped (SIGSTOP), nothing is answered until it goes on.
    const workers = spawnSync('pgrep', ['-P', String(master())], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number);
    assert.ok(workers.length > 0 && workers.every((pid) => pid > 0), 'the HAProxy worker');
    workers.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    let next: Promise<string>;
    try {
      const late = runtime.command('show servers state b', 200);
      const later = runtime.command('show servers state b', 400);
      next = runtime.command(['set server b/slot4 addr 127.0.0.5 port 8085', 'show servers state b'], 10_000);
      await assert.rejects(late, /within 200ms/);
      await assert.rejects(later, /within 400ms/);
    } finally {
      workers.forEach((pid) => process.kill(pid, 'SIGCONT'));
    }
    // Had the late answer (slot4 still at 127.0.0.1:1) been taken for this command's, the row would be the old one.
    assert.match(await next, /^\d+ b \d+ slot4 127\.0\.0\.5 \d+ .* 8085 /m);
  });

  it('opens the session again when HAProxy closed it (its idle timeout), sending the command once more', async () => {
    await runtime.command('set server b/slot3 state maint');
    await new Promise((r) => setTimeout(r, 1_500)); // past `stats timeout 1s`: HAProxy closes the session
    const servers = await runtime.servers('b');
    assert.equal(servers.find((s) => s.server === 'slot3')?.opState, 0);
  });

  it('after a reload and a reset, reaches the new worker', async () => {
    writeFileSync(cfgPath, config(['b', 'c']));
    process.kill(master(), 'SIGUSR2');
    await ready('c');
    await runtime.command(['set server c/slot1 addr 127.0.0.4 port 8084', 'set server c/slot1 state ready']);
    assert.equal((await runtime.servers('c')).find((s) => s.server === 'slot1')?.opState, 2);
  });

  it('fails a command when HAProxy is gone, and works again once it is back', async () => {
    const pid = master();
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        break;
      }
    }
    await assert.rejects(runtime.command('show servers state b'));
    rmSync(socket, { force: true });
    const started = spawnSync('haproxy', ['-W', '-D', '-f', cfgPath, '-p', pidFile], { encoding: 'utf8' });
    assert.equal(started.status, 0, started.stderr);
    await ready('c');
    assert.equal((await runtime.servers('b')).length, 4);
  });
});
