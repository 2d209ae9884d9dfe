import { Injectable } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { OneOffOutputAnswer, Rpcs, api } from '@orzo/contracts';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '@orzo/platform';
import { versionEnv } from '@orzo/soa-config';
import { HistoryService } from '../history/history.service';
import { requireFields } from '../required-fields';
import { shown } from '../shown';
import { SecretStore } from '../secrets/secret-store';
import { SoaConfigSource } from '../soa/soa-config.source';

/** How often the run's output is asked for while it says nothing new. */
export const REMOTE_RUN_POLL_MS = 300;
/** A bridge that does not answer for this long (restarting, engine away) fails the call. */
const UNREACHABLE_FOR_MS = 30_000;

export interface RemoteRunSink {
  write(out: api.RemoteRunOutput): Promise<void>;
  cancelled(): boolean;
}

/**
 * `orzo remote-run`: one instance of adhoc-<cluster>.yaml run once on the cluster's engine,
 * at the version its deploy group is marked with. The cluster's scheduler-bridge starts the
 * container (Rpcs.oneOffRun); its output is pulled by line count (Rpcs.oneOffOutput) and
 * streamed to the caller, then the exit code. A caller that leaves, or a run past
 * max_duration_seconds, has the container killed; it is always removed at the end.
 */
@Injectable()
export class RemoteRunService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly bus: BusService,
    private readonly history: HistoryService,
    private readonly secrets: SecretStore,
  ) {}

  async run(req: api.RemoteRunRequest, sink: RemoteRunSink): Promise<void> {
    requireFields(req, { service: 'service', cluster: 'cluster', instance: 'instance' });
    const svc = this.soa.service(req.service);
    const adhoc = svc.adhoc.find((i) => i.cluster === req.cluster && i.instance === req.instance);
    if (!adhoc)
      throw new NotFoundError(
        `${req.service} has no adhoc instance ${shown(req.instance)} on cluster ${shown(req.cluster)} (adhoc-${shown(req.cluster)}.yaml); it has: ${
          svc.adhoc.map((i) => `${i.cluster}.${i.instance}`).join(', ') || '(none)'
        }`,
      );
    if (req.cmd.includes('\0')) throw new InvalidArgumentError('cmd holds a NUL character');
    const version = await this.history.latestDeployment({ service: req.service, deployGroup: adhoc.deployGroup }).catch((err: unknown) => {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`adhoc instance ${req.instance} runs the version of deploy group ${adhoc.deployGroup}: ${err.message}`);
      throw err;
    });
    const ownCmd = typeof adhoc.cmd === 'string' ? adhoc.cmd : '';
    const started = await this.bus.request(
      Rpcs.oneOffRun(req.cluster),
      {
        service: req.service,
        instance: req.instance,
        image: version.image,
        gitSha: version.gitSha,
        cmd: req.cmd || ownCmd,
        args: req.cmd ? [] : Array.isArray(adhoc.cmd) ? adhoc.cmd : adhoc.args,
        // SECRET(name) resolved here: a request, never an event, carries the values.
        env: await this.secrets.resolveEnv(
          { ...adhoc.env, ...versionEnv(version.image, version.gitSha) },
          { service: req.service, instance: req.instance, cluster: req.cluster },
        ),
        cpus: adhoc.cpus,
        memMb: adhoc.memMb,
        by: req.requestedBy,
      },
      // A registry image is pulled first.
      { timeout: 120_000 },
    );
    const base = { runId: started.name, at: '', stream: '', line: '', ended: false, exitCode: 0, reason: '', image: '' };
    await sink.write({ ...base, image: version.image });
    const deadline = req.maxDurationSeconds ? Date.now() + req.maxDurationSeconds * 1000 : Infinity;
    let after = 0;
    let reason = '';
    let failingSince = 0;
    for (;;) {
      const gone = sink.cancelled();
      if (!reason && Date.now() > deadline) reason = `killed after max_duration_seconds ${req.maxDurationSeconds}`;
      let page: OneOffOutputAnswer;
      try {
        page = await this.bus.request(Rpcs.oneOffOutput(req.cluster), { runId: started.runId, after, kill: gone || !!reason }, { timeout: 15_000 });
        failingSince = 0;
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        failingSince ||= Date.now();
        if (Date.now() - failingSince > UNREACHABLE_FOR_MS) throw err;
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      after += page.lines.length;
      if (!gone) for (const l of page.lines) await sink.write({ ...base, at: l.at, stream: l.stream, line: l.line });
      if (page.ended) {
        if (!gone)
          await sink.write({ ...base, ended: true, exitCode: page.exitCode, reason: reason || (page.oomKilled ? 'out of memory (killed by the kernel)' : '') });
        return;
      }
      if (!page.lines.length) await new Promise((r) => setTimeout(r, REMOTE_RUN_POLL_MS));
    }
  }
}
