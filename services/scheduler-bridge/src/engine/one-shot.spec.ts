import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobLabels, Labels, oneShotLabels, tailBytes } from './engine';

describe('job containers', () => {
  it('keep the last 64 KiB of output, cut at a line start', () => {
    assert.equal(tailBytes('short\n'), 'short\n');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
    const tail = tailBytes(lines);
    assert.ok(Buffer.byteLength(tail) <= 64 * 1024);
    assert.match(tail, /^line \d+ x+\n/);
    assert.ok(tail.endsWith(`line 4999 ${'x'.repeat(20)}`));
  });

  it('carry job labels and never the replica label the reconciler selects on', () => {
    const labels = oneShotLabels({
      service: 'batch',
      cluster: 'norcal',
      job: 'nightly',
      runId: 'batch.nightly.norcal.1790000000',
      action: 'load',
      attempt: 2,
      image: 'img',
      gitSha: 'abc',
      cmd: 'true',
      cpus: 0.1,
      memMb: 32,
      env: {},
    });
    assert.equal(labels[Labels.managed], undefined);
    assert.equal(labels[JobLabels.run], 'batch.nightly.norcal.1790000000');
    assert.equal(labels[JobLabels.attempt], '2');
    assert.equal(labels[Labels.cluster], 'norcal');
  });
});
