import { useEffect, useRef, useState } from 'react';
import { stream } from '../api';
import { useRpc } from '../data';
import { Link, useQuery } from '../router';
import { Time } from '../time';
import { ServicePicker } from './service-picker';
import { StateBadge, Status, DataTable, short } from '../ui';

/** A service's builds, newest first, and the live log of the chosen one. */
export function BuildsPage() {
  const q = useQuery();
  const service = q.get('service') ?? '';
  const buildId = q.get('build') ?? '';
  const builds = useRpc('ListBuilds', service ? { service, limit: 30 } : undefined, (e) => e.service === service && /^build\./.test(e.type ?? ''));
  const list = builds.data?.builds ?? [];
  const shown = buildId || list[0]?.buildId || '';
  return (
    <>
      <div className="page-head">
        <h1>Builds</h1>
        <ServicePicker path="/builds" service={service} />
      </div>
      {!service && <p className="muted">Choose a service.</p>}
      <Status loading={builds.loading && !builds.data && !!service} error={builds.error} />
      {list.length > 0 && (
        <DataTable stack label="Builds" columns={['Build', 'Commit', 'State', 'Step', 'Requested', 'By']}>
          {list.map((b) => (
            <tr key={b.buildId} aria-selected={b.buildId === shown}>
              <td className="mono">
                <Link to={`/builds?service=${encodeURIComponent(service)}&build=${encodeURIComponent(b.buildId ?? '')}`}>{short(b.buildId)}</Link>
              </td>
              <td className="mono">{short(b.commitSha)}</td>
              <td>
                <StateBadge state={b.state} />
                {b.error && <div className="detail">{b.error}</div>}
              </td>
              <td>{b.step}</td>
              <td>
                <Time at={b.requestedAt} />
              </td>
              <td>{b.requestedBy}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {builds.data && list.length === 0 && <p className="muted">No builds of {service}.</p>}
      {shown && <BuildLog service={service} buildId={shown} />}
    </>
  );
}

function BuildLog({ service, buildId }: { service: string; buildId: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [end, setEnd] = useState<string>();
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    setLines([]);
    setEnd(undefined);
    return stream(
      'GetBuildLog',
      { service, buildId, follow: true },
      {
        message: (m) => {
          if (m.line !== undefined) setLines((l) => [...l, m.line ?? '']);
          if (m.end) setEnd(m.end);
        },
        end: (error) => setEnd((e) => e ?? (error ? `stream ended: ${error}` : 'ended')),
      },
    );
  }, [service, buildId]);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);
  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">
        Log of build <span className="mono">{short(buildId)}</span> {end ? <StateBadge state={end} /> : <span className="badge warn">live</span>}
      </h2>
      <pre ref={box} className="logbox" tabIndex={0} aria-label="build log">
        {lines.join('\n') || '(no output yet)'}
      </pre>
    </section>
  );
}
