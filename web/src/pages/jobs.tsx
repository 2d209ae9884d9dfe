import { useState } from 'react';
import { rpc, type WhoAmI } from '../api';
import { Action } from '../action';
import { useRpc } from '../data';
import { payloadOf, type Watched } from '../live';
import { useQuery } from '../router';
import { can } from '../scopes';
import { Time } from '../time';
import { ServicePicker } from './service-picker';
import { StateBadge, Status, short } from '../ui';

/** A service's timed jobs: schedule, next run, the last runs and their logs; run one now. */
export function JobsPage({ who }: { who?: WhoAmI }) {
  const service = useQuery().get('service') ?? '';
  const jobs = useRpc('ListJobs', service ? { service } : undefined, (e) => isJobEventOf(e, service));
  const [run, setRun] = useState<string>();
  const list = jobs.data?.jobs ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Jobs</h1>
        <ServicePicker path="/jobs" service={service} />
      </div>
      {!service && <p className="muted">Choose a service.</p>}
      <Status loading={jobs.loading && !jobs.data && !!service} error={jobs.error} />
      {jobs.data && list.length === 0 && <p className="muted">{service} has no timed jobs.</p>}
      {list.map((j) => (
        <article key={`${j.cluster}.${j.job}`} className="card" aria-label={`job ${j.job}.${j.cluster}`}>
          <header className="card-head">
            <h2>
              {j.job}
              <span className="muted">.{j.cluster}</span>
            </h2>
            <span className="mono">{j.schedule}</span>
            {j.timeZone && <span className="muted">{j.timeZone}</span>}
            {j.enabled ? <span className="badge good">enabled</span> : <span className="badge neutral">disabled</span>}
            <span>
              next run <Time at={j.nextRun} />
            </span>
            <span>
              version <span className="mono">{short(j.gitSha)}</span>
            </span>
            {can(who, 'operate', service) && (
              <Action
                label="Run now"
                title={`Run ${j.job} on ${j.cluster} now?`}
                run={async () => {
                  const r = await rpc('RunJob', { service, cluster: j.cluster, job: j.job });
                  setRun(r.runId);
                  return `run ${runName(r.runId)} started`;
                }}
              >
                <p>Starts a run of every action of the job at its deploy group's current version.</p>
              </Action>
            )}
          </header>
          <ul className="plain runs">
            {(j.lastRuns ?? []).map((r) => (
              <li key={r.runId} data-run-state={r.state}>
                <button type="button" className="link" onClick={() => setRun(r.runId)} aria-expanded={run === r.runId}>
                  {runName(r.runId)}
                </button>{' '}
                <StateBadge state={r.state} /> {r.trigger} <Time at={r.startedAt || r.scheduledAt} />
                {r.reason && <span className="detail"> {r.reason}</span>}
                {run === r.runId && <RunLog runId={r.runId} />}
              </li>
            ))}
            {(j.lastRuns ?? []).length === 0 && <li className="muted">No run yet.</li>}
          </ul>
        </article>
      ))}
    </>
  );
}

/** Job run events name their service in payload.run (WatchedEvent.service is empty for them). */
function isJobEventOf(e: Watched, service: string): boolean {
  if (!/^job\./.test(e.type ?? '')) return false;
  const run = payloadOf(e).run as { service?: string } | undefined;
  return e.service === service || run?.service === service;
}

/** A run id without the "<service>.<job>.<cluster>." it starts with. */
const runName = (runId?: string): string => runId?.split('.').pop() ?? '';

function RunLog({ runId }: { runId?: string }) {
  const run = useRpc('GetJobRun', { runId }, (e) => /^job\./.test(e.type ?? '') && (payloadOf(e).run as { runId?: string } | undefined)?.runId === runId);
  return (
    <div className="run-log">
      <Status loading={run.loading && !run.data} error={run.error} />
      {(run.data?.actions ?? []).map((a) => (
        <div key={a.name}>
          <p>
            <strong>{a.name}</strong> <StateBadge state={a.state} /> exit {a.exitCode ?? 0}, attempts {a.attempts ?? 0}, finished <Time at={a.finishedAt} />
            {a.reason && <span className="detail"> {a.reason}</span>}
          </p>
          <pre className="logbox" tabIndex={0} aria-label={`log of ${a.name}`}>
            {a.log || '(no output)'}
          </pre>
        </div>
      ))}
    </div>
  );
}
