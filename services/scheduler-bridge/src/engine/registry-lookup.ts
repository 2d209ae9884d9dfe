import { registryOfImage } from '@orzo/contracts';

/** The manifest types a registry may hold for an image (Docker v2, lists, OCI). */
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/**
 * Whether the registry an image's name carries has it (`HEAD /v2/<repo>/manifests/<tag>`),
 * asked over https and then http (the registries of a swarm's nodes are often insecure ones).
 * Throws when the registry cannot be asked at all: that is not a "no".
 */
export async function imageInRegistry(image: string, timeoutMs = 5_000): Promise<boolean> {
  const registry = registryOfImage(image);
  if (!registry) throw new Error(`image ${image} names no registry`);
  const rest = image.slice(registry.length + 1);
  const at = rest.indexOf('@');
  const colon = rest.lastIndexOf(':');
  const [repo, reference] = at >= 0 ? [rest.slice(0, at), rest.slice(at + 1)] : colon >= 0 ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, 'latest'];
  const errors: string[] = [];
  for (const scheme of ['https', 'http']) {
    try {
      const res = await fetch(`${scheme}://${registry}/v2/${repo}/manifests/${reference}`, {
        method: 'HEAD',
        headers: { Accept: MANIFEST_TYPES },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) return true;
      if (res.status === 404) return false;
      errors.push(`${scheme}: HTTP ${res.status}`);
    } catch (err) {
      errors.push(`${scheme}: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
    }
  }
  throw new Error(`registry ${registry} could not be asked about ${image} (${errors.join('; ')})`);
}
