import { useState } from 'react';
import type { api } from '@orzo/contracts';
import { rpc, type WhoAmI, type Wire } from '../api';
import { Action } from '../action';
import { useRpc } from '../data';
import { payloadOf, useEvents, type Watched } from '../live';
import { Link } from '../router';
import { can } from '../scopes';
import { Time } from '../time';
import { Replicas, StateBadge, Status, DataTable, short } from '../ui';

type Instance = Wire<api.InstanceStatus>;
type Step = Wire<api.PipelineStepStatus>;

const about = (service: string) => (e: Watched) => e.service === service;

/** One service: its instances per cluster with their replicas, its pipeline, and its deploys live. */
export function ServicePage({ service, who }: { service: string; who?: WhoAmI }) {
  const status = useRpc('GetStatus', { service }, (e) => about(service)(e) && /^(deploy|instance|alert|config)\./.test(e.type ?? ''));
  const pipeline = useRpc('GetPipeline', { service }, (e) => about(service)(e) && /^(deploy|build)\./.test(e.type ?? ''));
  const instances = status.data?.instances ?? [];
  const clusters = [...new Set(instances.map((i) => i.cluster ?? ''))].sort();
  return (
    <>
      <div className="page-head">
        <h1>{service}</h1>
        <nav aria-label={`${service} pages`} className="sub-nav">
          <Link to={`/history?service=${encodeURIComponent(service)}`}>History</Link>
          <Link to={`/builds?service=${encodeURIComponent(service)}`}>Builds</Link>
          <Link to={`/jobs?service=${encodeURIComponent(service)}`}>Jobs</Link>
        </nav>
      </div>
      <DeployProgress service={service} instances={instances} />
      <section aria-labelledby="instances-h">
        <h2 id="instances-h">Instances</h2>
        <Status loading={status.loading && !status.data} error={status.error} />
        {status.data && instances.length === 0 && <p className="muted">No instances in soa-configs.</p>}
        {clusters.map((cluster) => (
          <div key={cluster} className="cluster">
            <h3>Cluster {cluster}</h3>
            {instances
              .filter((i) => i.cluster === cluster)
              .map((inst) => (
                <InstanceCard key={inst.instance} service={service} inst={inst} who={who} />
              ))}
          </div>
        ))}
      </section>
      <section aria-labelledby="pipeline-h">
        <h2 id="pipeline-h">Pipeline (deploy.yaml)</h2>
        <Status loading={pipeline.loading && !pipeline.data} error={pipeline.error} />
        {pipeline.data && <Pipeline service={service} steps={pipeline.data.steps ?? []} who={who} />}
      </section>
    </>
  );
}

/** A deploy in progress: each instance not Running yet with why it waits, and the live progress messages. */
function DeployProgress({ service, instances }: { service: string; instances: Instance[] }) {
  const [log, setLog] = useState<Array<{ id: string; at?: string; text: string }>>([]);
  useEvents(
    (e) => e.service === service && /^deploy\./.test(e.type ?? ''),
    (e) => {
      const p = payloadOf(e);
      const where = `${String(p.cluster ?? '')}.${String(p.instance ?? '')}`.replace(/^\.$/, '');
      const text =
        e.type === 'deploy.progressed'
          ? `${where}: ${String(p.phase ?? '')} ${p.ready ?? 0}/${p.desired ?? 0} ${String(p.message ?? '')}`
          : e.type === 'deploy.requested'
            ? `${String(p.deployGroup ?? '')}: deploy requested by ${String(p.requestedBy ?? '?')}`
            : `${where}: ${e.type}${p.reason ? ` (${String(p.reason)})` : ''}`;
      setLog((l) => [{ id: e.id ?? e.position ?? String(Math.random()), at: e.occurredAt, text }, ...l].slice(0, 30));
    },
  );
  const moving = instances.filter((i) => i.state && i.state !== 'Running' && i.state !== 'Stopped');
  if (!moving.length && !log.length) return null;
  return (
    <section aria-labelledby="deploy-h" className="deploy-progress">
      <h2 id="deploy-h">{moving.length ? 'Deploy in progress' : 'Recent deploys'}</h2>
      {moving.length === 0 && <p className="muted">Every instance runs its desired version.</p>}
      <ul className="plain">
        {moving.map((i) => (
          <li key={`${i.cluster}.${i.instance}`} data-deploying={`${i.cluster}.${i.instance}`}>
            <strong>
              {i.instance}.{i.cluster}
            </strong>{' '}
            <StateBadge state={i.state} /> <Replicas healthy={i.healthyReplicas} desired={i.desiredReplicas} />
            {i.reason && <div className="reason">Waiting: {i.reason}</div>}
          </li>
        ))}
      </ul>
      {log.length > 0 && (
        <details open>
          <summary>Live progress ({log.length})</summary>
          <ol className="log" aria-live="polite">
            {log.map((l) => (
              <li key={l.id}>
                <Time at={l.at} /> {l.text}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}

function InstanceCard({ service, inst, who }: { service: string; inst: Instance; who?: WhoAmI }) {
  const operate = can(who, 'operate', service);
  const target = { service, cluster: inst.cluster, instance: inst.instance };
  const name = `${inst.instance}.${inst.cluster}`;
  const stopped = inst.state === 'Stopped';
  return (
    <article className="card" aria-label={`instance ${name}`} data-instance={`${inst.cluster}.${inst.instance}`}>
      <header className="card-head">
        <h4>{inst.instance}</h4>
        <StateBadge state={inst.state} />
        <span>
          version{' '}
          <span className="mono" title={inst.desiredGitSha}>
            {short(inst.desiredGitSha)}
          </span>
        </span>
        <span>
          healthy <Replicas healthy={inst.healthyReplicas} desired={inst.desiredReplicas} />
        </span>
        {inst.override && <span className="muted">scaled: {inst.override}</span>}
        {(inst.recentExits ?? 0) > 0 && (
          <span className="badge warn" title={inst.lastExit}>
            {inst.recentExits} recent exits
          </span>
        )}
      </header>
      {inst.reason && <p className="reason">{inst.reason}</p>}
      {(inst.alerts ?? []).map((a) => (
        <p key={a.alertId} className={`alert-line ${a.severity === 'critical' ? 'bad' : 'warn'}`}>
          <strong>{a.check}</strong> ({a.severity}) since <Time at={a.raisedAt} />: {a.output}
        </p>
      ))}
      {(inst.problems ?? []).map((p) => (
        <p key={`${p.replicaId}${p.action}`} className="alert-line warn">
          {p.action} {p.replicaName}: {p.error} (attempt {p.attempts})
        </p>
      ))}
      <DataTable stack label={`replicas of ${name}`} columns={['Replica', 'Host', 'Version', 'State', 'Started', 'Detail', ...(operate ? ['Actions'] : [])]}>
        {[...(inst.replicas ?? []), ...(inst.exited ?? [])].map((r) => (
          <tr key={`${r.replicaId}${r.state}`}>
            <td className="mono">{short(r.replicaId)}</td>
            <td className="mono">
              {r.host}
              {r.port ? `:${r.port}` : ''}
            </td>
            <td className="mono">
              {short(r.gitSha)}
              {r.old && <span className="muted"> (old)</span>}
            </td>
            <td>
              <StateBadge state={r.state} />
            </td>
            <td>
              <Time at={r.startedAt} />
            </td>
            <td className="detail">{r.detail}</td>
            {operate && (
              <td>
                {r.state !== 'Failed' && (
                  <Action
                    label="Restart"
                    title={`Restart replica ${short(r.replicaId)} of ${name}?`}
                    run={async () => (await rpc('RestartInstance', { ...target, replicaId: r.replicaId })).detail ?? 'restarting'}
                  >
                    <p>The replica is replaced through the instance's bounce method.</p>
                  </Action>
                )}
              </td>
            )}
          </tr>
        ))}
      </DataTable>
      {operate && (
        <div className="actions" role="group" aria-label={`actions on ${name}`}>
          <Action
            label="Restart all"
            title={`Restart every replica of ${name}?`}
            run={async () => (await rpc('RestartInstance', target)).detail || 'restart requested'}
          >
            <p>Every replica is replaced through the bounce method; healthy ones go only when their replacements are up.</p>
          </Action>
          {stopped ? (
            <Action label="Start" title={`Start ${name}?`} run={async () => (await rpc('StartInstance', target)).message || 'started'}>
              <p>The instance comes back at its deploy group's current version.</p>
            </Action>
          ) : (
            <Action label="Stop" danger title={`Stop ${name}?`} run={async () => (await rpc('StopInstance', target)).message || 'stopping'}>
              <p>Every replica is drained and stopped. It stays stopped, across new marks too, until started.</p>
            </Action>
          )}
          <ScaleAction name={name} target={target} inst={inst} />
        </div>
      )}
    </article>
  );
}

function ScaleAction({ name, target, inst }: { name: string; target: { service: string; cluster?: string; instance?: string }; inst: Instance }) {
  const [count, setCount] = useState(String(inst.desiredReplicas ?? 1));
  const [expire, setExpire] = useState('');
  const n = Number(count);
  const valid = Number.isInteger(n) && n >= 0 && /^\d*[smhd]?$/.test(expire);
  return (
    <Action
      label="Scale"
      title={`Scale ${name}`}
      invalid={!valid}
      run={async () => {
        const r = await rpc('Autoscale', { ...target, hasSet: true, set: n, expireAfter: expire });
        return `now ${r.current ?? 0} replicas${r.clamped ? ` (asked ${r.requested}, clamped to ${r.minInstances ?? 0}..${r.maxInstances ?? 0})` : ''}`;
      }}
    >
      <p>
        Configured: {inst.configuredReplicas ?? 0}; now {inst.desiredReplicas ?? 0}. The count is clamped to min/max_instances.
      </p>
      <label>
        Replicas <input type="number" min={0} value={count} onChange={(e) => setCount(e.target.value)} required />
      </label>
      <label>
        Expires after (e.g. 30m, 3h; empty: until cleared) <input value={expire} onChange={(e) => setExpire(e.target.value)} />
      </label>
    </Action>
  );
}

function Pipeline({ service, steps, who }: { service: string; steps: Step[]; who?: WhoAmI }) {
  if (!steps.length) return <p className="muted">No deploy.yaml pipeline.</p>;
  return (
    <ol className="pipeline">
      {steps.map((s, i) => (
        <li key={s.step} className={s.disabled ? 'disabled' : undefined} data-step={s.step}>
          <div className="step-head">
            <strong>{s.step}</strong>
            {!s.deployGroup && <span className="muted"> build step</span>}
            {s.disabled && <span className="badge neutral">disabled</span>}
            {(s.parallelGroup ?? 0) > 0 && <span className="badge neutral">parallel {s.parallelGroup}</span>}
          </div>
          {s.deployGroup && <GroupState service={service} step={s} who={who} />}
          {s.triggerNextStepManually && i < steps.length - 1 && <div className="gate">Manual gate: the next step waits for a promotion</div>}
        </li>
      ))}
    </ol>
  );
}

function GroupState({ service, step, who }: { service: string; step: Step; who?: WhoAmI }) {
  const group = step.step ?? '';
  const cur = step.current;
  return (
    <div className="group">
      {cur ? (
        <p>
          <span className="mono" title={cur.gitSha}>
            {short(cur.gitSha)}
          </span>{' '}
          <StateBadge state={cur.outcome} /> marked <Time at={cur.markedAt} /> by {cur.requestedBy} ({cur.reason})
          {cur.rolledBack && <span className="badge bad">rolled back</span>}
        </p>
      ) : (
        <p className="muted">never marked</p>
      )}
      {step.waitingGitSha && (
        <p className="waiting">
          <span className="mono">{short(step.waitingGitSha)}</span> waits at the manual gate since <Time at={step.waitingSince} />
          {can(who, 'deploy', service) && (
            <Action
              label="Promote"
              title={`Promote ${short(step.waitingGitSha)} to ${group}?`}
              run={async () => `marked: deploy ${(await rpc('MarkForDeployment', { service, deployGroup: group, commitSha: step.waitingGitSha })).deployId}`}
            >
              <p>
                Marks {step.waitingGitSha} for {group}; the pipeline goes on from there once it deployed.
              </p>
            </Action>
          )}
        </p>
      )}
      <div className="actions">
        {can(who, 'deploy', service) && <MarkAction service={service} group={group} />}
        {cur && can(who, 'operate', service) && <RollbackAction service={service} group={group} />}
      </div>
    </div>
  );
}

function MarkAction({ service, group }: { service: string; group: string }) {
  const [sha, setSha] = useState('');
  return (
    <Action
      label="Mark version"
      title={`Mark a version for ${group}`}
      invalid={!/^[0-9a-f]{7,40}$/.test(sha)}
      run={async () => `marked: deploy ${(await rpc('MarkForDeployment', { service, deployGroup: group, commitSha: sha })).deployId}`}
    >
      <label>
        Commit sha (7-40 hex) <input className="mono" value={sha} onChange={(e) => setSha(e.target.value.trim())} required />
      </label>
    </Action>
  );
}

function RollbackAction({ service, group }: { service: string; group: string }) {
  // Kept current: a version marked after the page opened is a rollback target too.
  const recent = useRpc('ListDeployments', { service, deployGroup: group, limit: 10 }, (e) => e.service === service && /^deploy\./.test(e.type ?? ''));
  const choices = (recent.data?.deployments ?? []).filter((d) => !d.current && !d.rolledBack);
  const [sha, setSha] = useState('');
  const target = sha || choices[0]?.gitSha || '';
  return (
    <Action
      label="Rollback"
      danger
      title={`Roll ${group} back`}
      invalid={!target}
      run={async () => {
        const r = await rpc('Rollback', { service, deployGroup: group, commitSha: target });
        return `rolling back to ${short(r.gitSha)} (from ${short(r.rolledBackFrom)})`;
      }}
    >
      <p>The current version is marked bad: the pipeline will not deploy it again.</p>
      {choices.length === 0 ? (
        <p className="muted">No earlier version to go back to.</p>
      ) : (
        <label>
          Go back to{' '}
          <select value={target} onChange={(e) => setSha(e.target.value)}>
            {choices.map((d) => (
              <option key={d.deployId} value={d.gitSha}>
                {short(d.gitSha)} – {d.reason} {d.markedAt}
              </option>
            ))}
          </select>
        </label>
      )}
    </Action>
  );
}
