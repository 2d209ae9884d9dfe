import { useRpc } from '../data';
import { Link } from '../router';
import { Time } from '../time';
import { StateBadge, Status, DataTable } from '../ui';

/** Alerts firing now (monitor-bridge's view), live: a raised or resolved alert refetches. */
export function AlertsPage() {
  const alerts = useRpc('ListAlerts', {}, (e) => /^alert\./.test(e.type ?? ''));
  const list = alerts.data?.alerts ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Alerts</h1>
      </div>
      <Status loading={alerts.loading && !alerts.data} error={alerts.error} />
      {alerts.data && list.length === 0 && (
        <p className="all-clear" role="status">
          No alert is firing.
        </p>
      )}
      {list.length > 0 && (
        <DataTable stack label="Firing alerts" columns={['Check', 'Where', 'Severity', 'Since', 'Output', 'Team', 'Sent to']}>
          {list.map((a) => (
            <tr key={a.alertId} data-alert={a.check}>
              <td>
                <strong>{a.check}</strong>
                {a.runbook && (
                  <div>
                    <a href={a.runbook} rel="noreferrer">
                      runbook
                    </a>
                  </div>
                )}
              </td>
              <td>
                <Link to={`/services/${encodeURIComponent(a.service ?? '')}`}>{a.service}</Link>
                {a.instance && (
                  <span className="muted">
                    {' '}
                    {a.instance}.{a.cluster}
                  </span>
                )}
              </td>
              <td>
                <StateBadge state={a.severity} />
                {a.page && <span className="badge bad">page</span>}
              </td>
              <td>
                <Time at={a.raisedAt} />
              </td>
              <td className="detail">{a.output}</td>
              <td>{a.team}</td>
              <td>
                {(a.deliveries ?? []).map((d) => (
                  <div key={d.sink}>
                    {d.sink}: {d.state}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
