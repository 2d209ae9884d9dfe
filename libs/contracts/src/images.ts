/** The immutable image of a commit: <registry>/services-<service>:orzo-<sha>. */
export function imageFor(registry: string, service: string, sha: string): string {
  return `${registry ? `${registry.replace(/\/+$/, '')}/` : ''}services-${service}:orzo-${sha}`;
}

/** The version an image stands for: the sha of an orzo-/paasta- tag, else the tag or digest. */
export function versionOf(image: string): string {
  const tag = /:(orzo|paasta)-([0-9a-f]{7,40})(-.*)?$/.exec(image);
  if (tag) return tag[2]!;
  const digest = /@sha256:([0-9a-f]{12})/.exec(image);
  if (digest) return digest[1]!;
  const plain = /:([^/:]+)$/.exec(image);
  return plain ? plain[1]! : 'latest';
}

/** The registry host of an image reference ('' for a local name like services-x:tag). */
export function registryOfImage(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : '';
}

/** A git commit sha as Orzo accepts it (abbreviated to at least 7 hex digits, lower case). */
export const GIT_SHA = /^[0-9a-f]{7,40}$/;
