import type Docker from 'dockerode';
import { followDockerStream } from '@orzo/platform';
import { StepError } from './workspace';

const STEP = /^Step (\d+\/\d+) : (.*)$/;

export interface BuildResult {
  imageId: string;
}

/**
 * Builds a context tar with the classic builder, reporting each log line and the Dockerfile
 * step it belongs to; a failure names that step and carries Docker's error line.
 */
export async function buildFromTar(
  docker: Docker,
  tar: NodeJS.ReadableStream,
  options: { dockerfile: string; buildargs: Record<string, string>; labels: Record<string, string>; signal: AbortSignal; onLine: (line: string) => void },
): Promise<BuildResult> {
  let step = 'build';
  let imageId = '';
  let partial = '';
  const stream = await docker
    .buildImage(tar, {
      dockerfile: options.dockerfile,
      buildargs: options.buildargs,
      labels: options.labels,
      rm: true,
      forcerm: true,
      abortSignal: options.signal,
    } as Docker.ImageBuildOptions)
    .catch((err: Error) => {
      throw new StepError('build', `docker build was refused: ${err.message}`);
    });
  try {
    await followDockerStream(docker.modem, stream, (m) => {
      if (typeof m.aux === 'object' && m.aux?.ID) imageId = m.aux.ID;
      if (m.stream) {
        const parts = (partial + m.stream).split('\n');
        partial = parts.pop() ?? '';
        for (const raw of parts) {
          const line = raw.replace(/\r/g, '');
          const s = STEP.exec(line);
          if (s) step = `Step ${s[1]} : ${s[2]}`;
          const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(line);
          if (built && !imageId) imageId = built[1]!;
          options.onLine(line);
        }
      }
      if (m.error || m.errorDetail?.message) options.onLine(`ERROR: ${m.errorDetail?.message || m.error}`);
    });
  } catch (err) {
    if (options.signal.aborted) throw err;
    throw new StepError(step, (err as Error).message);
  }
  if (partial) options.onLine(partial);
  if (!imageId) throw new StepError(step, 'docker build finished without reporting an image id');
  return { imageId: imageId.startsWith('sha256:') ? imageId : (await docker.getImage(imageId).inspect()).Id };
}

/** The id of the image a reference names on this engine, or undefined when it has none. */
export function imageIdOf(docker: Docker, image: string): Promise<string | undefined> {
  return docker
    .getImage(image)
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
}

/** Splits `host:5000/path/name:tag` into repo and tag. */
export function splitTag(image: string): { repo: string; tag: string } {
  const at = image.lastIndexOf(':');
  if (at > image.lastIndexOf('/')) return { repo: image.slice(0, at), tag: image.slice(at + 1) };
  return { repo: image, tag: 'latest' };
}

/**
 * Points the immutable tag at the built image. An existing tag is never moved to a different
 * image unless forced (PaaSTA's push-to-registry rule): a commit's image must not change
 * under a running deploy. `current`: the image the tag names now (imageIdOf), asked by the
 * caller beside the build; builds of the same commit do not run at once unless forced.
 */
export async function tagImmutably(
  docker: Docker,
  imageId: string,
  image: string,
  force: boolean,
  current: string | undefined,
): Promise<'tagged' | 'unchanged'> {
  if (current === imageId) return 'unchanged';
  if (current && !force) {
    throw new StepError(
      'tag',
      `${image} already exists as ${current.slice(7, 19)} and this build made ${imageId.slice(7, 19)}; refusing to move the tag (request the build with force to replace it)`,
    );
  }
  const { repo, tag } = splitTag(image);
  await docker.getImage(imageId).tag({ repo, tag });
  return 'tagged';
}

/** Pushes the image to its registry; resolves to the digest the registry reports. */
export async function push(
  docker: Docker,
  image: string,
  auth: { username?: string; password?: string; serveraddress: string } | undefined,
  signal: AbortSignal,
  onLine: (l: string) => void,
): Promise<string> {
  const { repo, tag } = splitTag(image);
  let digest = '';
  try {
    const stream = (await docker
      .getImage(repo)
      .push({ tag, ...(auth?.username ? { authconfig: auth } : {}), abortSignal: signal } as never)) as unknown as NodeJS.ReadableStream;
    let lastStatus = '';
    await followDockerStream(docker.modem, stream, (m) => {
      if (typeof m.aux === 'object' && m.aux?.Digest) digest = m.aux.Digest;
      const status = m.status ? `${m.id ? `${m.id}: ` : ''}${m.status}` : '';
      // Progress bars repeat the same status many times a second: log each status once.
      if (status && status !== lastStatus && !m.progress) onLine(status);
      lastStatus = status || lastStatus;
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new StepError('push', `docker push ${image} failed: ${(err as Error).message}`);
  }
  return digest;
}
