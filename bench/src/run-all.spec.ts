import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markdownCell, renderTable } from './run-all';

/** The cells of one Markdown table row: split on the pipes that are not escaped. */
const cells = (row: string) =>
  row
    .replace(/^\| | \|$/g, '')
    .split(/ (?<!\\)\| /)
    .map((c) => c.trim());

describe('the figures table of docs/performance.md (npm run bench)', () => {
  it('escapes a | inside a cell, so a floor like "git archive | docker build" stays one cell', () => {
    const table = renderTable(
      [
        {
          bench: 'commit',
          measure: 'Jenkins notification -> new version serving (median)',
          value: 2.03,
          unit: 's',
          floor: { label: 'git archive | docker build + run by hand', value: 1.06 },
          goal: 'ratio <= 1.2',
          met: false,
        },
        { bench: 'reconcile', measure: 'engine listings\nper steady pass', value: 1, unit: 'calls', goal: 'O(1)', met: true },
      ],
      'Measured on a test machine.',
    );
    const [machine, blank, header, rule, commit, reconcile] = table.split('\n');
    assert.equal(machine, 'Measured on a test machine.');
    assert.equal(blank, '');
    assert.deepEqual(cells(header!), ['bench', 'measure', 'value', 'floor (same run)', 'ratio', 'goal', 'met']);
    assert.equal(cells(rule!).length, 7);
    assert.deepEqual(cells(commit!), [
      'commit',
      'Jenkins notification -> new version serving (median)',
      '2.03 s',
      'git archive \\| docker build + run by hand: 1.06 s',
      '1.92',
      'ratio <= 1.2',
      'no',
    ]);
    assert.deepEqual(cells(reconcile!), ['reconcile', 'engine listings per steady pass', '1.00 calls', '', '', 'O(1)', 'yes']);
    assert.equal(table.split('\n').length, 6, 'one line per row: a line break in a cell does not split its row');
  });

  it('leaves a cell without | or line breaks as it is', () => {
    assert.equal(markdownCell('raw JetStream consume + ack: 47956 events/s'), 'raw JetStream consume + ack: 47956 events/s');
    assert.equal(markdownCell('a | b | c'), 'a \\| b \\| c');
  });
});
