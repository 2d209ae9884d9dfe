import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '@orzo/platform';
import type { MonitorBridgeConfig } from '../config';
import { configuredSinks } from './sink-config';

const dir = mkdtempSync(join(tmpdir(), 'orzo-sinks-'));
const base = { ORZO_ALERTMANAGER_RESEND_S: 60, ORZO_ALERT_RETRY_MAX_S: 60 } as MonitorBridgeConfig;
const withFile = (yaml: string): MonitorBridgeConfig => {
  const file = join(dir, `orzo-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return { ...base, ORZO_CONFIG: file };
};

describe('alert sinks from orzo.yaml and the environment', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('none configured: no sink (alerts stay on the bus and in orzo alerts)', () => {
    assert.deepEqual(configuredSinks(base, dir), []);
  });

  it('several at once from orzo.yaml; an environment variable wins over the file', () => {
    const config = withFile(
      'alerts:\n  alertmanager: {url: "http://am:9093"}\n  sensu: {url: "http://sensu:8080", api_key: k, namespace: ops}\n  webhook: {url: "http://relay/hook", secret: s}\n',
    );
    assert.deepEqual(
      configuredSinks(config).map((s) => s.name),
      ['alertmanager', 'sensu', 'webhook'],
    );
    const overridden = configuredSinks({ ...config, ORZO_ALERTMANAGER_URL: 'http://other:9093' })[0] as unknown as { baseUrl: string };
    assert.equal(overridden.baseUrl, 'http://other:9093');
  });

  it('an orzo.yaml with errors stops the boot with file, line and what is wrong', () => {
    const config = withFile('alerts:\n  alertmanager: {}\n  sensu: {url: 42}\n');
    assert.throws(
      () => configuredSinks(config),
      (err: ConfigError) =>
        err instanceof ConfigError &&
        err.problems.length === 2 &&
        /alerts\.alertmanager: missing required key url/.test(err.message) &&
        /:3:11: error: alerts\.sensu\.url/.test(err.message),
    );
  });
});
