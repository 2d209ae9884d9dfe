import type Docker from 'dockerode';
import { dockerFrames } from './engine';

export interface ExecResult {
  /** The command's exit code; -1 when it timed out. */
  exitCode: number;
  /** stdout and stderr interleaved, at most 4 KiB of it. */
  output: string;
  timedOut: boolean;
}

/** Thrown when the replica does not exist or does not run (nothing to exec in). */
export class ReplicaNotRunningError extends Error {
  constructor(readonly replicaId: string) {
    super(`replica ${replicaId} does not run`);
    this.name = 'ReplicaNotRunningError';
  }
}

const MAX_OUTPUT = 4096;

/**
 * Runs `argv` inside a running container (Docker exec): a cmd health check (`/bin/sh -c cmd`, as
 * PaaSTA's) or a pre-stop command. Its exit code and output, or timedOut after `timeoutMs`. A timed-out command is
 * not killed (the Engine API cannot kill an exec's process); the check counts it failed, and
 * the container's own end takes it down.
 */
export async function dockerExec(docker: Docker, containerId: string, argv: string[], timeoutMs: number): Promise<ExecResult> {
  const container = docker.getContainer(containerId);
  let exec: Docker.Exec;
  try {
    exec = await container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false });
  } catch (err) {
    // 404: no such container; 409: it is not running.
    const code = (err as { statusCode?: number }).statusCode;
    if (code === 404 || code === 409) throw new ReplicaNotRunningError(containerId);
    throw err;
  }
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
  const chunks: Buffer[] = [];
  let size = 0;
  const finished = new Promise<'done'>((resolve, reject) => {
    stream.on('data', (c: Buffer) => {
      // A chatty command must not grow memory: what comes after 64 KiB is dropped (frames stay whole).
      if (size >= 65_536) return;
      chunks.push(c);
      size += c.length;
    });
    stream.on('end', () => resolve('done'));
    stream.on('close', () => resolve('done'));
    stream.on('error', reject);
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const outcome = await Promise.race([finished, timedOut]).finally(() => clearTimeout(timer));
  const output = Buffer.concat([...dockerFrames(Buffer.concat(chunks))].map((f) => f.payload))
    .toString('utf8')
    .trim()
    .slice(-MAX_OUTPUT);
  if (outcome === 'timeout') {
    stream.destroy();
    return { exitCode: -1, output: `timed out after ${timeoutMs} ms${output ? `: ${output}` : ''}`, timedOut: true };
  }
  // The stream ends a moment before the engine records the exit code.
  for (let i = 0; i < 20; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output, timedOut: false };
    await new Promise((res) => setTimeout(res, 25));
  }
  return { exitCode: -1, output: `the engine did not report the exit code${output ? `: ${output}` : ''}`, timedOut: false };
}
