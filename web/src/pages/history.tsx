import { useEffect, useState } from 'react';
import { useRpc } from '../data';
import { payloadOf, type Watched } from '../live';
import { Link, useQuery } from '../router';
import { Time } from '../time';
import { ServicePicker } from './service-picker';
import { StateBadge, Status, DataTable, short } from '../ui';

/** A service's history (who marked, promoted, rolled back, stopped...) and the event stream of the last hour, live. */
export function HistoryPage() {
  const service = useQuery().get('service') ?? '';
  return (
    <>
      <div className="page-head">
        <h1>History and events</h1>
        <ServicePicker path="/history" service={service} allowAll />
      </div>
      {service && <ServiceHistory service={service} />}
      <EventFeed service={service} />
    </>
  );
}

function ServiceHistory({ service }: { service: string }) {
  const history = useRpc('GetHistory', { service, limit: 100 }, (e) => e.service === service && /^(deploy|build|config)\./.test(e.type ?? ''));
  const entries = history.data?.entries ?? [];
  return (
    <section aria-labelledby="history-h">
      <h2 id="history-h">History of {service}</h2>
      <Status loading={history.loading && !history.data} error={history.error} />
      {history.data && entries.length === 0 && <p className="muted">Nothing yet.</p>}
      {entries.length > 0 && (
        <DataTable stack label={`history entries of ${service}`} columns={['When', 'What', 'Group', 'Version', 'Who', 'Detail']}>
          {entries.map((e, i) => (
            <tr key={`${e.at}${i}`}>
              <td>
                <Time at={e.at} />
              </td>
              <td>
                <StateBadge state={e.kind} />
              </td>
              <td>{e.deployGroup}</td>
              <td className="mono">{e.gitSha ? short(e.gitSha) : ''}</td>
              <td>{e.actor}</td>
              <td className="detail">{e.detail}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

/** Who did it and what happened, from an event's payload. */
export function summary(e: Watched): { who: string; what: string } {
  const p = payloadOf(e);
  const s = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : '');
  const where = s('cluster') && s('instance') ? `${s('instance')}.${s('cluster')} ` : '';
  const what = s('message') || s('reason') || s('output') || s('phase') || s('image') || s('gitSha') || s('commitSha') || s('check') || '';
  return { who: s('requestedBy') || s('actor') || s('by'), what: `${where}${what}`.trim() };
}

const MAX_EVENTS = 300;

function EventFeed({ service }: { service: string }) {
  const [events, setEvents] = useState<Watched[]>([]);
  const [state, setState] = useState<'connecting' | 'live' | 'lost'>('connecting');
  useEffect(() => {
    setEvents([]);
    const q = new URLSearchParams({ since: '1h' });
    if (service) q.set('services', service);
    const source = new EventSource(`/api/events?${q.toString()}`);
    source.onopen = () => setState('live');
    source.onerror = () => setState('lost');
    source.onmessage = (m: MessageEvent<string>) => {
      const e = JSON.parse(m.data) as Watched;
      setEvents((list) => [e, ...list].slice(0, MAX_EVENTS));
    };
    return () => source.close();
  }, [service]);
  return (
    <section aria-labelledby="events-h">
      <h2 id="events-h">
        Event stream {service ? `of ${service}` : ''} <span className={`badge ${state === 'live' ? 'good' : 'warn'}`}>{state}</span>
      </h2>
      <p className="muted small">The last hour, then live, newest first.</p>
      <DataTable stack label="events" columns={['When', 'Event', 'Service', 'Who', 'What']}>
        {events.map((e) => {
          const { who, what } = summary(e);
          return (
            <tr key={e.position ?? e.id}>
              <td>
                <Time at={e.occurredAt} />
              </td>
              <td className="mono">{e.type}</td>
              <td>{e.service && <Link to={`/services/${encodeURIComponent(e.service)}`}>{e.service}</Link>}</td>
              <td>{who}</td>
              <td className="detail">{what}</td>
            </tr>
          );
        })}
      </DataTable>
      {events.length === 0 && <p className="muted">No event yet.</p>}
    </section>
  );
}
