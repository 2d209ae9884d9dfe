import { Injectable } from '@nestjs/common';
import { api } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { NotFoundError } from '@orzo/platform';
import { AlertsService } from '../alerts/alerts.service';
import { HistoryService } from '../history/history.service';
import { InstanceStateSchema } from '../instance-state/instance-state.entity';
import { requireFields } from '../required-fields';
import { SoaConfigSource } from '../soa/soa-config.source';
import { InstanceProgressSchema } from './instance-progress.entity';
import { problemsOf } from './progress-view.service';
import { ReplicaExitSchema } from './replica-exit.entity';
import { RECENT_EXIT_MS, oneLine, replicaState, stuckReasons } from './replica-states';
import { ReplicaSchema } from './replica.entity';
import { InstanceOverride, overrideKey } from '../scaling/instance-override.entity';
import { InstanceOverrides, countInForce } from '../scaling/instance-overrides.service';
import { shown } from '../shown';

/**
 * `orzo status`: desired versions from the marks, actual replicas from the read model, and why
 * an instance is not Running yet (engine errors on single replicas, a bounce's progress) from
 * scheduler-bridge's latest deploy.progressed.
 */
@Injectable()
export class StatusService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly history: HistoryService,
    private readonly overrides: InstanceOverrides,
    private readonly alerts: AlertsService,
  ) {}

  async status(req: api.GetStatusRequest): Promise<api.GetStatusResponse> {
    requireFields(req, { service: 'service' });
    const svc = this.soa.service(req.service);
    // Asked of monitor-bridge first and awaited last: its round trip (at most 2 s when it is
    // slow or busy) runs while the database is read, instead of after it.
    const firingNow = this.alerts.firingOf(req.service);
    const desired = await this.history.desiredVersions(
      req.service,
      svc.instances.map((i) => i.deployGroup),
    );
    const em = this.db.database.em();
    const replicas = await em.getRepository(ReplicaSchema).ofService(req.service);
    const progress = await em.getRepository(InstanceProgressSchema).ofService(req.service);
    const stopped = await em.getRepository(InstanceStateSchema).stoppedOf(req.service);
    const exits = await em.getRepository(ReplicaExitSchema).find({ service: req.service }, { orderBy: { at: 'asc' } });
    const overrides = await this.overrides.ofService(req.service);
    const firing = await firingNow;
    const instances = svc.instances
      .filter((i) => (!req.cluster || i.cluster === req.cluster) && (!req.instance || i.instance === req.instance))
      .map((i): api.InstanceStatus => {
        const mark = desired.get(i.deployGroup);
        const mine = replicas.filter((r) => r.instance === i.instance && r.cluster === i.cluster);
        const override = overrides.get(overrideKey(i.service, i.cluster, i.instance));
        // Of the desired version and restart generation (`orzo restart` changes the latter).
        const isCurrent = (r: { gitSha: string; forceBounce: string }) => r.gitSha === mark?.gitSha && r.forceBounce === (override?.forceBounce ?? '');
        const healthy = mine.filter((r) => r.state === 'Healthy' && isCurrent(r)).length;
        const desiredReplicas = countInForce(i.replicas.instances, override);
        const myExits = exits.filter((e) => e.instance === i.instance && e.cluster === i.cluster);
        const lastExit = myExits[myExits.length - 1];
        const shown = mine.map((r) => ({ ...r, shownState: replicaState(r, lastExit) }));
        let state: string;
        // orzo stop outlasts later marks: the instance says so until orzo start.
        if (stopped.has(`${i.cluster}.${i.instance}`)) state = mine.length ? 'Stopping' : 'Stopped';
        else if (!mark) state = 'Not deployed (no version marked for this deploy group)';
        else if (healthy >= desiredReplicas && mine.every(isCurrent) && mine.length <= desiredReplicas) state = 'Running';
        else if (mine.some((r) => r.gitSha !== mark.gitSha)) state = `Bouncing to ${mark.gitSha.slice(0, 8)}`;
        else if (mine.some((r) => !isCurrent(r))) state = `Bouncing to ${mark.gitSha.slice(0, 8)} (restart)`;
        else if (mine.length > desiredReplicas) state = 'Scaling down';
        else state = 'Launching replicas';
        const latest = progress.find((p) => p.instance === i.instance && p.cluster === i.cluster);
        const problems = problemsOf(latest);
        // Shown when not Running (why not), and engine errors whatever the state.
        const reasons =
          state !== 'Running' || problems.length
            ? stuckReasons({
                replicas: shown,
                exits: myExits,
                // A bounce's progress, only while bouncing (the last one stays after it ended).
                progress: latest?.phase === 'bouncing' && state.startsWith('Bouncing') ? latest.message : undefined,
                problems,
              })
            : [];
        const reason = reasons.join('; ');
        const recentExits = myExits.filter((e) => Date.now() - Date.parse(e.at) < RECENT_EXIT_MS);
        return {
          instance: i.instance,
          cluster: i.cluster,
          desiredGitSha: mark?.gitSha ?? '',
          desiredImage: mark?.image ?? '',
          state,
          desiredReplicas,
          healthyReplicas: healthy,
          replicas: shown.map((r) => ({
            replicaId: r.replicaId,
            host: r.host,
            port: r.port,
            gitSha: r.gitSha,
            state: r.shownState,
            startedAt: r.updatedAt,
            detail: oneLine(r.detail),
            consecutiveFailures: r.failures,
            old: !isCurrent(r),
          })),
          endpoints: i.registrations.map((r) => (r.proxyPort === null ? `${r.name} (discovery only)` : `${r.name} 127.0.0.1:${r.proxyPort}`)),
          reason,
          problems,
          configuredReplicas: i.replicas.instances,
          override: overrideText(override),
          recentExits: recentExits.length,
          // The latest few that exited on their own, as PaaSTA shows Failed pods.
          exited: recentExits.slice(-5).map((e) => ({
            replicaId: e.replicaId,
            host: '',
            port: 0,
            gitSha: e.gitSha,
            state: 'Failed',
            startedAt: e.at,
            detail: e.reason,
            consecutiveFailures: 0,
            old: false,
          })),
          lastExit: lastExit ? `${lastExit.reason} at ${lastExit.at}` : '',
          alerts: firing.filter((a) => a.instance === i.instance && a.cluster === i.cluster),
        };
      });
    if ((req.cluster || req.instance) && instances.length === 0)
      throw new NotFoundError(`${req.service} has no instance ${shown(req.instance) || '*'} on cluster ${shown(req.cluster) || '*'}`);
    return { service: req.service, instances };
  }

  listServices(): api.ListServicesResponse {
    const result = this.soa.load();
    return {
      services: result.services.map((s) => ({ name: s.name, instances: s.instances.map((i) => `${i.cluster}.${i.instance}`), team: s.team ?? '' })),
    };
  }
}

/** The count override in force, in words; '' when none (or expired). */
function overrideText(o: InstanceOverride | undefined): string {
  if (!o || o.instances === null || (o.expiresAt && Date.parse(o.expiresAt) <= Date.now())) return '';
  return `${o.instances}${o.expiresAt ? ` until ${o.expiresAt}` : ''}, set by ${o.setBy} at ${o.setAt}`;
}
