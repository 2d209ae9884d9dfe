import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';

export const BUSYBOX_BASE = 'orzo/busybox:1';

/** The one definition of the base image, shared with infra/images/build-base.sh. */
const BUSYBOX_DOCKERFILE = join(__dirname, '..', '..', '..', '..', 'infra', 'images', 'busybox', 'Dockerfile');

/** Whether a Docker Engine answers on the default socket. */
export async function dockerAvailable(docker = new Docker()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds an image from a directory and returns its id. Build errors arrive inside the 200
 * response stream (`{error, errorDetail}`), so every message is checked; the error carries
 * the last lines of the build log.
 */
export async function buildImage(docker: Docker, options: { context: string; tag: string; buildargs?: Record<string, string> }): Promise<string> {
  const src = readdirSync(options.context, { recursive: true }) as string[];
  const stream = await docker.buildImage({ context: options.context, src }, { t: options.tag, buildargs: options.buildargs, rm: true, forcerm: true });
  const log: string[] = [];
  let id = '';
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (msg: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } }) => {
        if (msg.stream) log.push(...msg.stream.split('\n').filter(Boolean));
        if (msg.aux?.ID) id = msg.aux.ID;
        if (msg.error) reject(new Error(`docker build of ${options.tag} failed: ${msg.errorDetail?.message ?? msg.error}\n${log.slice(-10).join('\n')}`));
      },
    );
  });
  return id || (await docker.getImage(options.tag).inspect()).Id;
}

/**
 * The local base image: FROM scratch plus Debian's static busybox (no registry is reachable,
 * so nothing can be pulled). Built once per engine.
 */
export async function ensureBusyboxBase(docker = new Docker(), busybox = '/bin/busybox'): Promise<string> {
  try {
    return (await docker.getImage(BUSYBOX_BASE).inspect()).Id;
  } catch {
    // not built yet
  }
  if (!existsSync(busybox)) throw new Error(`${busybox} not found: install Debian's busybox-static (apt-get install -y busybox-static)`);
  const context = mkdtempSync(join(tmpdir(), 'orzo-busybox-'));
  try {
    copyFileSync(busybox, join(context, 'busybox'));
    copyFileSync(BUSYBOX_DOCKERFILE, join(context, 'Dockerfile'));
    return await buildImage(docker, { context, tag: BUSYBOX_BASE });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
