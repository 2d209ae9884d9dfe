import { join } from 'node:path';
import Docker from 'dockerode';
import { REPO_ROOT, buildImage, ensureBusyboxBase } from '@orzo/testing';

/** A fake 40-hex commit sha made of one digit. */
export const sha = (n: number): string => String(n).repeat(40).slice(0, 40);

/**
 * Builds `count` versions of the example service (`services-hello:orzo-<sha>`, answering
 * /version with v1, v2, ...) on a local busybox base; returns their shas in order.
 */
export async function buildExampleVersions(docker: Docker, count: number): Promise<string[]> {
  await ensureBusyboxBase(docker);
  const versions = Array.from({ length: count }, (_, i) => sha(i + 1));
  for (const [i, v] of versions.entries())
    await buildImage(docker, {
      context: join(REPO_ROOT, 'examples', 'services', 'hello'),
      tag: `services-hello:orzo-${v}`,
      buildargs: { VERSION: `v${i + 1}` },
    });
  return versions;
}
