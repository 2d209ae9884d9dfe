import type Docker from 'dockerode';
import { ImageNotFoundError, LogLine, demuxLogs, dockerFrames, isStatus } from './engine';

/**
 * One-off containers (orzo remote-run): an adhoc instance run once to its exit. They carry
 * their own labels and never `orzo.managed`, so the reconciler, its surveys and its engine
 * events never see them; they are removed once their output was read to the end.
 */
export const OneOffLabels = {
  oneOff: 'orzo.one_off',
  service: 'orzo.service',
  instance: 'orzo.instance',
  cluster: 'orzo.cluster',
  gitSha: 'orzo.git_sha',
  by: 'orzo.requested_by',
} as const;

/** A one-off left unread (its caller vanished) is removed this long after it exited. */
export const ONE_OFF_KEEP_MS = 10 * 60_000;

export interface OneOffRequest {
  service: string;
  instance: string;
  cluster: string;
  image: string;
  gitSha: string;
  /** Runs under /bin/sh -c; empty: `args`, else the image's CMD. */
  cmd: string;
  args: string[];
  env: Record<string, string>;
  cpus: number;
  memMb: number;
  by: string;
}

export interface OneOffLogs {
  lines: LogLine[];
  /** How many of the last lines have no newline yet (a later read may find them longer). */
  partial: number;
}

export interface OneOffState {
  id: string;
  name: string;
  running: boolean;
  exitCode?: number;
  oomKilled: boolean;
}

/** What an engine offers for one-off runs (Engine.runOneOff and friends). */
export interface OneOffRunner {
  /** Starts the container; resolves when it runs. ImageNotFoundError when the image is nowhere. */
  runOneOff(req: OneOffRequest): Promise<OneOffState>;
  /** The run's state, undefined when it is gone (or is not a one-off). */
  oneOffState(id: string): Promise<OneOffState | undefined>;
  /** Every line it wrote so far, oldest first; `partial` of the last ones are not finished yet (no newline). */
  oneOffLogs(id: string): Promise<OneOffLogs>;
}

/** The Docker Engine's one-off runs: a plain container, no port, the instance's env and limits. */
export class DockerOneOffs implements OneOffRunner {
  constructor(
    private readonly docker: Docker,
    private readonly ensureImage: (image: string) => Promise<{ ok: true } | { ok: false; why: string }>,
  ) {}

  async runOneOff(req: OneOffRequest): Promise<OneOffState> {
    const available = await this.ensureImage(req.image);
    if (!available.ok) throw new ImageNotFoundError(req.image, available.why);
    const name = `orzo-run-${req.service}-${req.instance}-${Math.random().toString(36).slice(2, 8)}`;
    const container = await this.docker.createContainer({
      name,
      Image: req.image,
      Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
      Labels: {
        [OneOffLabels.oneOff]: 'true',
        [OneOffLabels.service]: req.service,
        [OneOffLabels.instance]: req.instance,
        [OneOffLabels.cluster]: req.cluster,
        [OneOffLabels.gitSha]: req.gitSha,
        [OneOffLabels.by]: req.by,
      },
      ...(req.cmd ? { Cmd: ['/bin/sh', '-c', req.cmd] } : req.args.length ? { Cmd: req.args } : {}),
      HostConfig: {
        NanoCpus: Math.round(req.cpus * 1e9),
        Memory: Math.round(req.memMb * 1024 * 1024),
        RestartPolicy: { Name: 'no' },
        Init: true,
      },
    });
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    // Whoever asked may never come back for the end: the container does not stay forever.
    void container
      .wait()
      .then(() => new Promise((r) => setTimeout(r, ONE_OFF_KEEP_MS).unref()))
      .then(() => container.remove({ force: true }))
      .catch(() => undefined);
    return { id: container.id, name, running: true, oomKilled: false };
  }

  async oneOffState(id: string): Promise<OneOffState | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      if (info.Config.Labels?.[OneOffLabels.oneOff] !== 'true') return undefined;
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        running: info.State.Running,
        exitCode: info.State.Running ? undefined : info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
      };
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async oneOffLogs(id: string): Promise<OneOffLogs> {
    // 'all': Docker's own word for no tail limit.
    const raw = (await this.docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, timestamps: true, tail: 'all' as unknown as number, follow: false })) as Buffer;
    return { lines: demuxLogs(raw), partial: unfinishedStreams(raw) };
  }
}

/** How many streams (stdout, stderr) of a multiplexed log end without a newline: demuxLogs puts those lines last. */
export function unfinishedStreams(raw: Buffer): number {
  const endsLine: Record<string, boolean> = {};
  for (const { stream, payload } of dockerFrames(raw)) if (payload.length) endsLine[stream] = payload[payload.length - 1] === 0x0a;
  return Object.values(endsLine).filter((ended) => !ended).length;
}

/** An engine that cannot run one-offs yet: says so on each call. */
export class NoOneOffs implements OneOffRunner {
  constructor(private readonly why: string) {}
  runOneOff(_req: OneOffRequest): Promise<OneOffState> {
    return Promise.reject(new OneOffsUnsupportedError(this.why));
  }
  oneOffState(_id: string): Promise<OneOffState | undefined> {
    return Promise.reject(new OneOffsUnsupportedError(this.why));
  }
  oneOffLogs(_id: string): Promise<OneOffLogs> {
    return Promise.reject(new OneOffsUnsupportedError(this.why));
  }
}

export class OneOffsUnsupportedError extends Error {
  override name = 'OneOffsUnsupportedError';
}
