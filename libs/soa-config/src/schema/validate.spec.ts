import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigProblem } from '../problems';
import { parseYaml } from '../yaml-source';
import { MONITORING_KEYS } from './tables';
import { validateMapping } from './validate';

describe('validateMapping', () => {
  it('asks for no position while trying the options of a value that one of them accepts, and for one when none does', () => {
    const src = parseYaml('monitoring.yaml', 'team: a\nrealert_every: 30m\ncomponent: [x, y]\nnotification_email: false\n');
    let located = 0;
    const counted = { ...src, locate: (path: Array<string | number>) => (located++, src.locate(path)) };
    const problems: ConfigProblem[] = [];
    validateMapping({ src: counted, problems }, src.data, MONITORING_KEYS, [], 'monitoring.yaml');
    assert.deepEqual([problems, located], [[], 0]);

    const bad = parseYaml('monitoring.yaml', 'team: a\nrealert_every: sometimes\n');
    validateMapping({ src: { ...bad, locate: (path) => (located++, bad.locate(path)) }, problems }, bad.data, MONITORING_KEYS, [], 'monitoring.yaml');
    assert.deepEqual(
      problems.map((p) => [p.line, p.column, p.path, p.expected]),
      [[2, 1, 'realert_every', 'a whole number or a duration']],
    );
    assert.equal(located, 1);
  });
});
