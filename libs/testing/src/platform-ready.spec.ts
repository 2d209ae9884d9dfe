import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notReadyMessage, serviceLines, startTimeoutMs } from './platform-ready';

describe('platform readiness: how long, and what is said when it is not ready', () => {
  it('waits 120 s on an idle machine, longer in proportion to the load per core, at most 540 s; ORZO_E2E_START_TIMEOUT_S overrides', () => {
    assert.equal(startTimeoutMs({}, 0.5, 2), 120_000);
    assert.equal(startTimeoutMs({}, 6, 2), 360_000);
    assert.equal(startTimeoutMs({}, 24, 2), 540_000);
    assert.equal(startTimeoutMs({ ORZO_E2E_START_TIMEOUT_S: '30' }, 24, 2), 30_000);
    assert.equal(startTimeoutMs({ ORZO_E2E_START_TIMEOUT_S: '' }, 0, 2), 120_000);
    assert.throws(() => startTimeoutMs({ ORZO_E2E_START_TIMEOUT_S: 'soon' }), /ORZO_E2E_START_TIMEOUT_S=soon is not a positive number/);
  });

  it("picks one service's lines out of orzo up's output, or orzo up's own", () => {
    const output = [
      'control-api         | {"msg":"migrated"}',
      'builder             | {"msg":"builder started"}',
      'migrate failed for builder (exit 1)',
      'control-api         | {"msg":"listening"}',
      'dashboard | plain',
      '',
    ].join('\n');
    assert.equal(serviceLines(output, 'control-api'), 'control-api         | {"msg":"migrated"}\ncontrol-api         | {"msg":"listening"}');
    assert.equal(serviceLines(output, 'dashboard'), 'dashboard | plain');
    assert.equal(serviceLines(output, ''), 'migrate failed for builder (exit 1)');
    assert.equal(serviceLines(output, 'monitor-bridge'), '');
  });

  it('names each service not ready with its last answer and its last lines', () => {
    const out: Record<string, string> = { builder: Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n'), dashboard: '' };
    const msg = notReadyMessage(
      'not ready after 90s',
      [
        { name: 'builder', last: '/healthz: ECONNREFUSED' },
        { name: 'dashboard', last: '/healthz 503: {"checks":{"control-api":{"ok":false}}}' },
      ],
      (n) => out[n] ?? '',
      5,
    );
    const lines = msg.split('\n');
    assert.equal(
      lines[0],
      'not ready after 90s; not ready: builder (/healthz: ECONNREFUSED), dashboard (/healthz 503: {"checks":{"control-api":{"ok":false}}})',
    );
    assert.deepEqual(lines.slice(1), [
      '--- builder: its last lines ---',
      'line 25',
      'line 26',
      'line 27',
      'line 28',
      'line 29',
      '--- dashboard: its last lines ---',
      '(it printed nothing)',
    ]);
  });
});
