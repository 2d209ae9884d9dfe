import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_INSTANCE_DEFAULTS, instancesYaml } from './soa-copy';

describe("instancesYaml: the e2e tests' instance config of the example", () => {
  it('writes the shared settings once as a template merged into each instance, whose own keys follow', () => {
    const text = instancesYaml(
      { main: { instances: 3, registrations: ['svc.main'] }, crash: { cmd: 'sleep 1; exit 3', monitoring: { check_every: '1s' } } },
      { ...TEST_INSTANCE_DEFAULTS, healthcheck_max_consecutive_failures: 3 },
    );
    assert.equal(
      text,
      [
        '_defaults: &defaults',
        '  cpus: 0.1',
        '  mem: 64',
        '  container_port: 8080',
        '  healthcheck_grace_period_seconds: 5',
        '  healthcheck_interval_seconds: 1',
        '  healthcheck_max_consecutive_failures: 3',
        '  deploy_group: "local.main"',
        '  drain_method_params: {"delay":1}',
        'main:',
        '  <<: *defaults',
        '  instances: 3',
        '  registrations: ["svc.main"]',
        'crash:',
        '  <<: *defaults',
        '  cmd: "sleep 1; exit 3"',
        '  monitoring: {"check_every":"1s"}',
        '',
      ].join('\n'),
    );
  });
});
