import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api } from '@orzo/contracts';
import { formatAlerts } from './alert-commands';

const firing = (over: Partial<api.FiringAlert>): api.FiringAlert =>
  api.FiringAlert.fromPartial({
    alertId: 'local/check_paasta_services_replication.web.main',
    check: 'check_paasta_services_replication.web.main',
    service: 'web',
    instance: 'main',
    cluster: 'local',
    severity: 'critical',
    output: 'Service web.main has 1 out of 3 expected instances available (threshold: 50%)!',
    team: 'infra',
    page: true,
    raisedAt: '2026-01-01T10:00:00.000Z',
    ...over,
  });

describe('orzo alerts table', () => {
  it('shows since when, the check, severity with page, team, where it went, and the output below', () => {
    const text = formatAlerts(
      [
        firing({
          deliveries: [
            { sink: 'alertmanager', state: 'delivered', deliveredAt: '2026-01-01T10:00:01.000Z', attempts: 1, lastError: '' },
            { sink: 'sensu', state: 'pending', deliveredAt: '', attempts: 4, lastError: 'ECONNREFUSED' },
          ],
        }),
        firing({ check: 'oom-killer.web.main', severity: 'critical', page: false, output: 'OOM', deliveries: [] }),
      ],
      new Date('2026-01-01T10:05:00.000Z'),
    );
    const lines = text.split('\n');
    assert.match(lines[0]!, /^FIRING SINCE\s+CHECK\s+CLUSTER\s+SEVERITY\s+TEAM\s+SENT TO$/);
    assert.match(
      lines[1]!,
      /2026-01-01T10:00:00 \(5m ago\)\s+check_paasta_services_replication\.web\.main\s+local\s+critical, page\s+infra\s+alertmanager, sensu \(pending, 4 tries: ECONNREFUSED\)$/,
    );
    assert.match(lines[2]!, /^ {4}Service web\.main has 1 out of 3/);
    assert.match(lines[3]!, /oom-killer\.web\.main\s+local\s+critical\s+infra\s+no sink configured$/);
  });
});
