import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { didYouMean, editDistance, formatProblem } from './problems';
import { classifyFile, instanceNames } from './tree';
import { parseYaml } from './yaml-source';

describe('parseYaml', () => {
  it("loads the seed's own example", () => {
    const src = parseYaml('kubernetes-local.yaml', 'demo:\n  cpus: 1\n  mem: 500\n  instances: 10\n  monitoring:\n    team: operations\n');
    assert.deepEqual(src.problems, []);
    assert.deepEqual(src.data, { demo: { cpus: 1, mem: 500, instances: 10, monitoring: { team: 'operations' } } });
    assert.deepEqual(src.locate(['demo', 'monitoring', 'team']), { line: 6, column: 5 });
  });

  it('resolves PaaSTA templates: anchors, aliases and << merge keys', () => {
    const text = ['_common: &common', '  cpus: 2', '  mem: 2000', 'main:', '  <<: *common', '  instances: 3', 'canary:', '  <<: *common', '  cpus: 1', ''].join(
      '\n',
    );
    const src = parseYaml('kubernetes-prod.yaml', text);
    assert.deepEqual(src.problems, []);
    const data = src.data as Record<string, Record<string, number>>;
    assert.deepEqual(data.main, { cpus: 2, mem: 2000, instances: 3 });
    assert.deepEqual(data.canary, { cpus: 1, mem: 2000 }, 'an instance key overrides the template');
    assert.deepEqual(instanceNames(data), ['main', 'canary'], '_ keys are templates, never instances');
  });

  it('reports a syntax error with its line and column', () => {
    const src = parseYaml('service.yaml', 'description: ok\ngit_url: [unclosed\n');
    assert.equal(src.problems.length > 0, true);
    assert.equal(src.problems[0]!.file, 'service.yaml');
    assert.ok(src.problems[0]!.line >= 2, `line ${src.problems[0]!.line}`);
  });

  it('reports a duplicate key where the second one is', () => {
    const src = parseYaml('smartstack.yaml', 'main:\n  proxy_port: 20001\n  proxy_port: 20002\n');
    assert.equal(src.problems.length, 1);
    assert.equal(src.problems[0]!.line, 3);
    assert.match(src.problems[0]!.message, /unique|duplicate/i);
  });

  it('locates list items and falls back to the nearest ancestor for unknown paths', () => {
    const src = parseYaml('deploy.yaml', 'pipeline:\n- step: itest\n- step: prod.main\n');
    assert.deepEqual(src.locate(['pipeline', 1, 'step']), { line: 3, column: 3 });
    assert.deepEqual(src.locate(['pipeline', 7]), { line: 1, column: 1 });
  });

  it('never throws, whatever the text (fuzzed)', () => {
    const yamlish = fc.string({
      unit: fc.constantFrom('a', 'b', ':', ' ', '\n', '-', '&', '*', '<<', '[', ']', '{', '}', '"', "'", '#', '_', '1', '\t', '|', '>', '!', '%', '@'),
      maxLength: 200,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish), (text) => {
        const src = parseYaml('fuzz.yaml', text);
        assert.ok(Array.isArray(src.problems));
        src.locate(['a', 0, 'b']);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('problems', () => {
  it('suggests the near-miss key', () => {
    const keys = ['instances', 'min_instances', 'max_instances', 'cpus', 'mem', 'healthcheck_uri'];
    assert.equal(didYouMean('instnaces', keys), 'instances');
    assert.equal(didYouMean('cpu', keys), 'cpus');
    assert.equal(didYouMean('healthcheck_url', keys), 'healthcheck_uri');
    assert.equal(didYouMean('colour', keys), undefined);
    assert.equal(editDistance('ab', 'ba'), 1);
  });

  it('formats file:line:column, path, expected, found and hint', () => {
    const text = formatProblem({
      file: 'web/kubernetes-prod.yaml',
      line: 4,
      column: 3,
      path: 'main.instnaces',
      message: 'unknown key',
      found: 'instnaces',
      hint: 'did you mean instances?',
      severity: 'error',
    });
    assert.equal(text, 'web/kubernetes-prod.yaml:4:3: error: main.instnaces: unknown key (found instnaces); did you mean instances?');
  });
});

describe('classifyFile', () => {
  it('knows every PaaSTA file kind and ignores the rest', () => {
    assert.deepEqual(classifyFile('service.yaml'), { kind: 'service' });
    assert.deepEqual(classifyFile('kubernetes-pnw-prod.yaml'), { kind: 'long-running', cluster: 'pnw-prod', flavor: 'kubernetes' });
    assert.deepEqual(classifyFile('marathon-norcal.yaml'), { kind: 'long-running', cluster: 'norcal', flavor: 'marathon' });
    assert.deepEqual(classifyFile('tron-prod.yaml'), { kind: 'job', cluster: 'prod', flavor: 'tron' });
    assert.deepEqual(classifyFile('chronos-prod.yaml'), { kind: 'job', cluster: 'prod', flavor: 'chronos' });
    assert.deepEqual(classifyFile('adhoc-dev.yaml'), { kind: 'adhoc', cluster: 'dev', flavor: 'adhoc' });
    assert.equal(classifyFile('deployments.json'), null);
    assert.equal(classifyFile('README.md'), null);
  });
});
