import { useMemo, useState } from 'react';
import { useRpc } from '../data';
import { Link } from '../router';
import { useStatuses } from '../statuses';
import { Replicas, StateBadge, Status, DataTable, short } from '../ui';

/** Every service, each instance's version, state, healthy/desired replicas and firing alerts. */
export function ServicesPage() {
  const list = useRpc('ListServices', {}, (e) => e.type === 'config.changed');
  const [filter, setFilter] = useState('');
  const services = useMemo(
    () => (list.data?.services ?? []).filter((s) => !filter || (s.name ?? '').includes(filter) || (s.team ?? '').includes(filter)),
    [list.data, filter],
  );
  const names = useMemo(() => services.map((s) => s.name ?? ''), [services]);
  const statuses = useStatuses(names);
  return (
    <>
      <div className="page-head">
        <h1>Services</h1>
        <label className="filter">
          Filter <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name or team" />
        </label>
      </div>
      <Status loading={list.loading && !list.data} error={list.error} />
      {list.data && services.length === 0 && <p className="muted">No services{filter ? ' match' : ' in soa-configs yet'}.</p>}
      {services.length > 0 && (
        <DataTable label="Services" className="services" columns={['Service', 'Instance', 'Version', 'State', 'Healthy', 'Alerts']}>
          {services.map((svc) => {
            const name = svc.name ?? '';
            const status = statuses.get(name);
            const instances = status && !(status instanceof Error) ? (status.instances ?? []) : [];
            const rows = Math.max(instances.length, 1);
            const head = (
              <th scope="row" rowSpan={rows}>
                <Link to={`/services/${encodeURIComponent(name)}`}>{name}</Link>
                {svc.team && <div className="muted small">{svc.team}</div>}
              </th>
            );
            if (!instances.length)
              return (
                <tr key={name} data-service={name}>
                  {head}
                  <td colSpan={5} className="muted">
                    {status instanceof Error ? status.message : status ? 'no instances' : 'loading…'}
                  </td>
                </tr>
              );
            return instances.map((inst, i) => (
              <tr key={`${name}/${inst.cluster}.${inst.instance}`} data-service={name} data-instance={`${inst.cluster}.${inst.instance}`}>
                {i === 0 && head}
                <td>
                  {inst.instance}
                  <span className="muted">.{inst.cluster}</span>
                </td>
                <td className="mono" title={inst.desiredGitSha}>
                  {short(inst.desiredGitSha)}
                </td>
                <td>
                  <StateBadge state={inst.state} />
                </td>
                <td>
                  <Replicas healthy={inst.healthyReplicas} desired={inst.desiredReplicas} />
                </td>
                <td>
                  {(inst.alerts ?? []).length === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    (inst.alerts ?? []).map((a) => (
                      <span key={a.alertId} className={`badge ${a.severity === 'critical' ? 'bad' : 'warn'}`} title={a.output}>
                        {a.check}
                      </span>
                    ))
                  )}
                </td>
              </tr>
            ));
          })}
        </DataTable>
      )}
    </>
  );
}
