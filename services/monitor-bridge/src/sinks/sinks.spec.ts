import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { AlertRaised } from '@orzo/contracts';
import { toAlertmanager } from './alertmanager.sink';
import { toSensuEvent } from './sensu.sink';
import { signBody } from './webhook.sink';

const alert = AlertRaised.fromPartial({
  alertId: 'prod/oom-killer.web.main',
  check: 'oom-killer.web.main',
  service: 'web',
  instance: 'main',
  cluster: 'prod',
  severity: 'critical',
  status: 2,
  output: 'killed',
  team: 'infra',
  page: false,
  runbook: 'http://rb',
  tip: '',
  slackChannels: ['#a', '#b'],
  checkEverySeconds: 60,
  alertAfterSeconds: 0,
  realertEvery: 1,
  raisedAt: '2026-01-01T10:00:00.000Z',
  source: 'paasta-prod',
});

describe('alert sinks: wire shapes', () => {
  it('Alertmanager: identity labels only (severity from page), the rest as annotations, no empty values', () => {
    const a = toAlertmanager(alert, '2026-01-01T10:04:00.000Z');
    assert.deepEqual(a.labels, { alertname: 'oom-killer.web.main', service: 'web', instance: 'main', cluster: 'prod', team: 'infra', severity: 'warning' });
    assert.equal(a.annotations.summary, 'killed');
    assert.equal(a.annotations.slack_channels, '#a,#b');
    assert.equal(a.annotations.tip, undefined, 'empty values are left out');
    assert.deepEqual([a.startsAt, a.endsAt], ['2026-01-01T10:00:00.000Z', '2026-01-01T10:04:00.000Z']);
    assert.equal(toAlertmanager({ ...alert, page: true }, '').labels.severity, 'critical');
  });

  it('Sensu: a proxy entity per instance, team in labels, ttl above interval while failing and 0 once OK', () => {
    const e = toSensuEvent(alert, { namespace: 'ops', handlers: ['slack'], resendSeconds: 60 }, 2, 'killed');
    assert.deepEqual(e.entity, { entity_class: 'proxy', metadata: { name: 'web.main.prod', namespace: 'ops' } });
    assert.deepEqual(e.check.metadata.labels, { team: 'infra' });
    assert.equal(e.check.metadata.annotations.runbook, 'http://rb');
    assert.deepEqual([e.check.status, e.check.interval, e.check.handlers], [2, 60, ['slack']]);
    assert.ok(e.check.ttl > e.check.interval);
    assert.equal(toSensuEvent(alert, { namespace: 'ops', handlers: [], resendSeconds: 60 }, 0, 'ok').check.ttl, 0);
  });

  it('webhook: sha256=<hex HMAC-SHA256 of the exact body>', () => {
    const body = '{"kind":"raised"}';
    assert.equal(signBody('s3cret', body), `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
  });
});
