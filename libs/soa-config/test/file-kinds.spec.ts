import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe as suite, it } from 'node:test';
import { loadSystemConfig } from '../src';
import { MINIMAL, describe, errors, load } from './tree-helper';

const pathsOf = (files: Record<string, string>) => errors(load({ ...MINIMAL, ...files })).map((e) => `${e.path}: ${e.message}`);

suite('each file kind', () => {
  it('service.yaml: known keys, typed', () => {
    assert.deepEqual(pathsOf({ 'web/service.yaml': 'description: 3\ngit_ulr: x\n' }), ['description: wrong type or value']);
    // PaaSTA's service schema is open: an unknown key is a warning, with the near-miss hint.
    const r = load({ ...MINIMAL, 'web/service.yaml': 'description: web\ngit_ulr: x\n' });
    assert.equal(r.errors, 0, describe(r));
    assert.match(describe(r), /warning: git_ulr: unknown key git_ulr \(PaaSTA accepts unknown keys here\).*did you mean git_url\?/);
  });

  it('monitoring.yaml: team is required, values typed', () => {
    assert.deepEqual(pathsOf({ 'web/monitoring.yaml': 'page: "yes"\nrealert_every: often\n' }), [
      ': missing required key team',
      'page: wrong type or value',
      'realert_every: wrong type or value',
    ]);
  });

  it('smartstack.yaml: proxy_port required, a port or null, mode known', () => {
    const r = pathsOf({ 'web/smartstack.yaml': 'main:\n  proxy_port: 99999\n  mode: grpc\nadmin:\n  timeout_server_ms: 10\ninternal:\n  proxy_port: null\n' });
    assert.deepEqual(r, ['main.proxy_port: wrong type or value', 'main.mode: wrong type or value', 'admin: missing required key proxy_port']);
  });

  it('deploy.yaml: a pipeline of known steps, each once', () => {
    const r = pathsOf({
      'web/deploy.yaml':
        'pipeline:\n  - step: itest\n  - step: local.main\n  - step: local.main\n  - step: "Prod Main"\n  - step: local.x\n    trigger_next_step_manualy: true\n',
    });
    assert.deepEqual(r, [
      'pipeline.2.step: step local.main appears twice in the pipeline',
      'pipeline.3.step: step Prod Main is neither a build step nor a deploy group name',
      'pipeline.4.trigger_next_step_manualy: unknown key trigger_next_step_manualy',
    ]);
  });

  it('deploy.yaml: parallel steps count as pipeline steps', () => {
    const r = load({
      ...MINIMAL,
      'web/deploy.yaml': 'pipeline:\n  - parallel:\n    - step: local.main\n    - step: local.canary\n',
      'web/kubernetes-local.yaml': 'main: {instances: 1}\ncanary: {instances: 1}\n',
    });
    assert.equal(r.errors, 0, describe(r));
    assert.deepEqual(
      r.services[0]!.pipeline.map((s) => [s.step, s.parallelGroup]),
      [
        ['local.main', 1],
        ['local.canary', 1],
      ],
    );
  });

  it('adhoc-<cluster>.yaml: its own keys only', () => {
    const r = load({ ...MINIMAL, 'web/adhoc-local.yaml': 'shell:\n  cmd: /bin/sh\n  instances: 2\n' });
    assert.match(describe(r), /error: shell.instances: unknown key instances/);
  });

  it('a per-cluster file must be a mapping of instances, each a mapping', () => {
    assert.deepEqual(pathsOf({ 'web/kubernetes-local.yaml': '- main\n' }), [': the file must be a mapping of instance names']);
    assert.deepEqual(pathsOf({ 'web/kubernetes-local.yaml': 'main:\n' }), ['main: instance main must be a mapping of keys']);
  });

  it('reports a YAML syntax error and a duplicate key with their position', () => {
    const r = errors(load({ ...MINIMAL, 'web/kubernetes-local.yaml': 'main:\n  cpus: 1\n  cpus: 2\n' }));
    assert.deepEqual([r[0]!.line, r[0]!.message], [3, 'YAML duplicated mapping key']);
    const s = errors(load({ ...MINIMAL, 'web/smartstack.yaml': 'main: {proxy_port: 20001\n' }));
    assert.match(s[0]!.message, /^YAML /);
    assert.ok(s[0]!.line >= 1);
  });
});

suite('system config', () => {
  it('works with no file: cluster local on docker, no registry', () => {
    const { config, problems } = loadSystemConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'orzo-sys-')) });
    assert.deepEqual(problems, []);
    assert.deepEqual(config.clusters, { local: { engine: 'docker' } });
    assert.equal(config.registry, '');
  });

  it('reads orzo.yaml and lets the environment override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orzo-sys-'));
    writeFileSync(join(dir, 'orzo.yaml'), 'soa_dir: ./configs\nregistry: 127.0.0.1:5000\nclusters:\n  prod: {engine: swarm}\ndefaults:\n  mem: 256\n');
    const fromFile = loadSystemConfig({ env: {}, cwd: dir }).config;
    assert.deepEqual(
      [fromFile.soaDir, fromFile.registry, fromFile.clusters, fromFile.defaults],
      [join(dir, 'configs'), '127.0.0.1:5000', { prod: { engine: 'swarm' } }, { mem: 256 }],
    );
    const overridden = loadSystemConfig({ env: { ORZO_REGISTRY: 'reg:5000', ORZO_CLUSTERS: 'a,b=kubernetes' }, cwd: dir }).config;
    assert.deepEqual([overridden.registry, overridden.clusters], ['reg:5000', { a: { engine: 'docker' }, b: { engine: 'kubernetes' } }]);
  });

  it('reports bad keys and engines of orzo.yaml with positions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orzo-sys-'));
    writeFileSync(join(dir, 'orzo.yaml'), 'clusters:\n  prod: {engine: nomad}\nregistyr: x\n');
    const { problems } = loadSystemConfig({ env: {}, cwd: dir });
    assert.deepEqual(
      problems.map((p) => [p.line, p.path, p.severity]),
      [
        [3, 'registyr', 'error'],
        [2, 'clusters.prod.engine', 'error'],
      ],
    );
  });

  it("reads a cluster's docker_host, and reports one that is not an Engine API address", () => {
    const dir = mkdtempSync(join(tmpdir(), 'orzo-sys-'));
    writeFileSync(
      join(dir, 'orzo.yaml'),
      'clusters:\n  east: {engine: swarm, docker_host: "tcp://10.0.0.5:2375"}\n  west: {engine: swarm, docker_host: "unix:///run/west.sock"}\n  bad: {engine: swarm, docker_host: "10.0.0.5"}\n',
    );
    const { config, problems } = loadSystemConfig({ env: {}, cwd: dir });
    assert.deepEqual(config.clusters, {
      east: { engine: 'swarm', dockerHost: 'tcp://10.0.0.5:2375' },
      west: { engine: 'swarm', dockerHost: 'unix:///run/west.sock' },
      bad: { engine: 'swarm' },
    });
    assert.deepEqual(
      problems.map((p) => [p.line, p.path, p.found]),
      [[4, 'clusters.bad.docker_host', '10.0.0.5']],
    );
  });
});
