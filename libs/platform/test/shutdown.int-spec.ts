import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const PLATFORM = join(__dirname, '..', 'src', 'index.js');

/** A process that logs with createLogger, loses its stdout's reader, then exits through exitProcess (or process.exit). */
function loggerChild(exit: 'exitProcess' | 'stopOnSignal'): ReturnType<typeof spawn> {
  const script = `
    const { createLogger, exitProcess, stopOnSignal } = require(${JSON.stringify(PLATFORM)});
    const logger = createLogger('t', 'info');
    process.stdin.once('data', () => {
      // The parent closed our stdout: every write from now on fails with EPIPE.
      for (let i = 0; i < 200; i++) logger.info({ i, pad: 'x'.repeat(200) }, 'after the reader left');
      ${exit === 'exitProcess' ? 'void exitProcess(logger, 0);' : "stopOnSignal({ close: () => Promise.resolve() }, logger, 't'); process.kill(process.pid, 'SIGTERM');"}
    });
    logger.info('ready');
    setInterval(() => undefined, 1000);
  `;
  return spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
}

async function exitsAfterReaderLeaves(exit: 'exitProcess' | 'stopOnSignal'): Promise<{ code: number | null; ms: number }> {
  const child = loggerChild(exit);
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  child.stdout!.destroy();
  const started = Date.now();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.stdin!.write('go\n');
  const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5_000).unref());
  const code = await Promise.race([exited, timeout]);
  if (code === 'hung') child.kill('SIGKILL');
  assert.notEqual(code, 'hung', 'the process did not exit within 5s of being asked to');
  return { code: code as number | null, ms: Date.now() - started };
}

describe('exiting when stdout has no reader any more (orzo up gone first)', () => {
  it('exitProcess exits with its code, not stuck in the log flush at exit', async () => {
    const { code, ms } = await exitsAfterReaderLeaves('exitProcess');
    assert.equal(code, 0);
    assert.ok(ms < 3_000, `took ${ms}ms`);
  });

  it('a SIGTERM through stopOnSignal exits 0', async () => {
    const { code } = await exitsAfterReaderLeaves('stopOnSignal');
    assert.equal(code, 0);
  });
});
