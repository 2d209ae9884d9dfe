import { Inject, Injectable } from '@nestjs/common';
import { Respond, RpcContext } from '@orzo/bus';
import { OneOffOutputAnswer, OneOffOutputCall, OneOffRunAnswer, OneOffRunCall, Rpcs } from '@orzo/contracts';
import { FailedPreconditionError, NotFoundError, SERVICE_CONFIG, UnavailableError } from '@orzo/platform';
import { type SchedulerBridgeConfig, schedulerClusters } from '../config';
import { ImageNotFoundError } from '../engine/engine';
import { ENGINES, Engines } from '../engine/engines';
import { OneOffsUnsupportedError } from '../engine/one-off';
import { clusterOf } from '../replicas/restart-replica.responder';

/** A reply stays well under NATS's default 1 MiB max_payload; the caller asks again for the rest. */
const MAX_REPLY_BYTES = 512 * 1024;
const MAX_LINE_CHARS = 8 * 1024;
/** SIGTERM then, past this, SIGKILL, when the caller kills a run. */
const KILL_GRACE_SECONDS = 2;

/**
 * `orzo remote-run` on this bridge's engines: starts a one-off container of an adhoc instance
 * (oneOffRun) and hands its output out by line count (oneOffOutput: "the lines after the n
 * you have"), so a repeated or lost reply never duplicates nor skips a line. The reply that
 * ends the run carries the exit code, and the container is removed right after it is read.
 */
@Injectable()
export class OneOffResponder {
  readonly clusters: string[];

  constructor(
    @Inject(ENGINES) private readonly engines: Engines,
    @Inject(SERVICE_CONFIG) config: SchedulerBridgeConfig,
  ) {
    this.clusters = schedulerClusters(config);
  }

  @Respond(Rpcs.oneOffRun, { params: (self: OneOffResponder) => self.clusters })
  async oneOffRun(req: OneOffRunCall, ctx: RpcContext): Promise<OneOffRunAnswer> {
    const cluster = clusterOf(this.clusters, Rpcs.oneOffRun, ctx);
    try {
      const run = await this.engines.of(cluster).runOneOff({ ...req, cluster });
      ctx.log.info({ runId: run.id, name: run.name, service: req.service, instance: req.instance, by: req.by }, 'one-off run started');
      return { runId: run.id, name: run.name };
    } catch (err) {
      throw domainError(err, cluster);
    }
  }

  @Respond(Rpcs.oneOffOutput, { params: (self: OneOffResponder) => self.clusters })
  async oneOffOutput(req: OneOffOutputCall, ctx: RpcContext): Promise<OneOffOutputAnswer> {
    const cluster = clusterOf(this.clusters, Rpcs.oneOffOutput, ctx);
    const engine = this.engines.of(cluster);
    try {
      let state = await engine.oneOffState(req.runId);
      if (!state) throw new NotFoundError(`no one-off run ${req.runId} on cluster ${cluster} (it ended and was removed, or never was)`);
      if (req.kill && state.running) {
        await engine.stop(state.id, KILL_GRACE_SECONDS);
        state = (await engine.oneOffState(req.runId)) ?? state;
      }
      // The state first, then the lines: once it exited, the lines read after are all of them.
      // While it runs, a line without its newline yet is held back: it may grow.
      const read = await engine.oneOffLogs(state.id);
      const all = state.running ? read.lines.slice(0, read.lines.length - read.partial) : read.lines;
      const lines: OneOffOutputAnswer['lines'] = [];
      let bytes = 0;
      for (const l of all.slice(req.after)) {
        bytes += l.line.length + 64;
        if (bytes > MAX_REPLY_BYTES && lines.length) break;
        lines.push({ at: l.at, stream: l.stream, line: l.line.slice(0, MAX_LINE_CHARS) });
      }
      const ended = !state.running && req.after + lines.length >= all.length;
      if (ended) {
        await engine.remove(state.id);
        ctx.log.info({ runId: state.id, exitCode: state.exitCode }, 'one-off run ended and removed');
      }
      return { lines, ended, exitCode: ended ? (state.exitCode ?? -1) : 0, oomKilled: ended && state.oomKilled };
    } catch (err) {
      throw domainError(err, cluster);
    }
  }
}

function domainError(err: unknown, cluster: string): unknown {
  if (err instanceof NotFoundError) return err;
  if (err instanceof ImageNotFoundError) return new FailedPreconditionError(err.message);
  if (err instanceof OneOffsUnsupportedError) return new FailedPreconditionError(err.message);
  return new UnavailableError(`the engine of cluster ${cluster} failed: ${(err as Error).message}`);
}
