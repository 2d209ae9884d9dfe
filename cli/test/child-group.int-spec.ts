import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { ChildGroup } from '../src/child-group';

/** A child that stops on SIGTERM after `stopMs`, or ignores it (`stopMs` null). */
function child(stopMs: number | null) {
  const onTerm = stopMs === null ? '() => undefined' : `() => setTimeout(() => process.exit(0), ${stopMs})`;
  return spawn(process.execPath, ['-e', `process.on('SIGTERM', ${onTerm}); setInterval(() => undefined, 1000); console.log('up');`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function started(c: ReturnType<typeof child>): Promise<void> {
  await new Promise<void>((r) => c.stdout!.once('data', () => r()));
}

describe('orzo up stopping its children (ChildGroup)', () => {
  it('forwards one stop, waits for the children, and reports a clean stop', async () => {
    const said: string[] = [];
    const group = new ChildGroup((l) => said.push(l), 5_000);
    const a = child(200);
    const b = child(400);
    const codes = Promise.all([group.add('a', a), group.add('b', b)]);
    await Promise.all([started(a), started(b)]);
    group.stop('test');
    assert.deepEqual(await codes, [0, 0]);
    assert.equal(await group.stopped(), true);
    assert.match(said.join('\n'), /stopping the platform \(test\)/);
  });

  it('kills (SIGKILL) a child still alive after the deadline, naming it, and resolves only when it is gone', async () => {
    const said: string[] = [];
    const group = new ChildGroup((l) => said.push(l), 500);
    const stubborn = child(null);
    const code = group.add('stubborn', stubborn);
    await started(stubborn);
    const t0 = Date.now();
    group.stop('test');
    assert.equal(await code, 1);
    assert.equal(await group.stopped(), false);
    assert.equal(stubborn.signalCode, 'SIGKILL');
    assert.ok(Date.now() - t0 < 3_000);
    assert.match(said.join('\n'), new RegExp(`killing stubborn \\(pid ${stubborn.pid}\\): still running 0.5s after the stop`));
  });

  it('a second Ctrl-C kills at once; a copy of the first (or a SIGTERM) does not', async () => {
    const group = new ChildGroup(() => undefined, 60_000).listen();
    try {
      const stubborn = child(null);
      const code = group.add('stubborn', stubborn);
      await started(stubborn);
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGINT', 'SIGINT'); // the terminal's copy and orzo up's: one stop
      process.emit('SIGTERM', 'SIGTERM');
      await new Promise((r) => setTimeout(r, 1_100));
      assert.equal(stubborn.exitCode, null, 'still given its time to stop');
      process.emit('SIGINT', 'SIGINT');
      assert.equal(await code, 1);
      assert.equal(stubborn.signalCode, 'SIGKILL');
    } finally {
      group.dispose();
    }
  });
});
