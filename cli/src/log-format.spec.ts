import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseLogView, formatLogLine } from './log-format';

const readable = { readable: true, color: false };
const at = '2026-11-30T10:11:12.345Z';
// The clock column is local time: compute what this machine shows for `at`.
const d = new Date(at);
const clock = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':') + '.345';

const record = (fields: object) => JSON.stringify({ level: 'info', time: at, service: 'control-api', pid: 4242, ...fields });

describe('orzo up log lines', () => {
  it('shows a pino record as time, service, level, message, then its fields as k=v', () => {
    const line = formatLogLine('control-api', record({ msg: 'control-api started', grpc: '127.0.0.1:50051', port: 7106, ok: true }), readable);
    assert.equal(line, `${clock} control-api          INFO  control-api started grpc=127.0.0.1:50051 port=7106 ok=true`);
  });

  it('quotes values with spaces and writes objects and arrays as compact JSON', () => {
    const line = formatLogLine(
      'discovery-publisher',
      record({ level: 'warn', msg: 'haproxy configured', reason: 'new frontend', frontends: ['hello.main'], slot: { a: 1 } }),
      readable,
    );
    assert.equal(line, `${clock} discovery-publisher  WARN  haproxy configured reason="new frontend" frontends=["hello.main"] slot={"a":1}`);
  });

  it('shows an error with its type and message inline, then the first frames of its stack without node internals', () => {
    const stack = [
      'TypeError: boom',
      '    at handle (/srv/a.js:1:1)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      ...Array.from({ length: 7 }, (_, i) => `    at f${i} (/srv/b.js:${i}:1)`),
    ].join('\n');
    const lines = formatLogLine(
      'builder',
      record({ level: 'error', msg: 'build failed', err: { type: 'TypeError', message: 'boom', stack, code: 'E1' } }),
      readable,
    ).split('\n');
    assert.equal(lines[0], `${clock} builder              ERROR build failed err="TypeError: boom" err.code=E1`);
    assert.deepEqual(lines.slice(1), [
      '    at handle (/srv/a.js:1:1)',
      '    at f0 (/srv/b.js:0:1)',
      '    at f1 (/srv/b.js:1:1)',
      '    at f2 (/srv/b.js:2:1)',
      '    at f3 (/srv/b.js:3:1)',
      '    ... 3 more',
    ]);
  });

  it("shows Nest's stack field (a string) below the line too", () => {
    const lines = formatLogLine('control-api', record({ level: 50, msg: 'x', context: 'Boot', stack: 'Error: x\n    at y (/z.js:1:1)' }), readable).split('\n');
    assert.equal(lines[0], `${clock} control-api          ERROR x context=Boot`);
    assert.deepEqual(lines.slice(1), ['    at y (/z.js:1:1)']);
  });

  it('colours the level on a terminal', () => {
    const line = formatLogLine('builder', record({ level: 'warn', msg: 'm' }), { readable: true, color: true });
    assert.equal(line, `${clock} builder              \x1b[33mWARN \x1b[0m m`);
  });

  it('passes lines that are not log records through, prefixed with the service', () => {
    for (const raw of ['builder: invalid configuration (3 problems)', '{not json', '{"a":1}', '[1,2]'])
      assert.equal(formatLogLine('builder', raw, readable), `builder             | ${raw}`);
  });

  it('passes JSON through unchanged (behind the prefix) when not readable, as startPlatform and tools read it', () => {
    const raw = record({ msg: 'control-api started' });
    const line = formatLogLine('control-api', raw, { readable: false, color: false });
    assert.equal(line, `control-api         | ${raw}`);
    assert.match(line, /"msg":"control-api started"/);
  });

  it('is readable only on a terminal without --json-logs, coloured unless NO_COLOR or a dumb terminal', () => {
    assert.deepEqual(chooseLogView(false, true, {}), { readable: true, color: true });
    assert.deepEqual(chooseLogView(false, true, { NO_COLOR: '1' }), { readable: true, color: false });
    assert.deepEqual(chooseLogView(false, true, { TERM: 'dumb' }), { readable: true, color: false });
    assert.deepEqual(chooseLogView(true, true, {}), { readable: false, color: false });
    assert.deepEqual(chooseLogView(false, false, {}), { readable: false, color: false });
  });
});
