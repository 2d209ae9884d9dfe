import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Vite names what it builds into assets/ after its content hash: such a file never changes. */
const HASHED_ASSET = /^\/assets\/.+[.-][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const NO_CACHE = 'no-cache';

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** How long the browser may keep a file of the app: a year for hashed assets, revalidated every time for the rest (index.html above all). */
export function cacheControlOf(urlPath: string): string {
  return HASHED_ASSET.test(urlPath) ? IMMUTABLE : NO_CACHE;
}

/**
 * The file under `root` a URL path names, or null when it would leave `root` (../, a NUL,
 * bad percent-encoding). `/` names index.html.
 */
export function fileUnder(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = normalize(decoded).replace(/^[/\\]+/, '');
  if (relative === '' || relative === '.') return join(root, 'index.html');
  if (relative.split(/[/\\]/).includes('..')) return null;
  const file = join(root, relative);
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

/**
 * Whether a path that names no file is a route of the app (answered with index.html): never
 * under /assets/; otherwise a path without an extension, or any path a browser navigates to
 * (it accepts text/html), since routes may hold dots (local.main).
 */
export function isAppRoute(urlPath: string, accept = ''): boolean {
  if (urlPath.startsWith('/assets/')) return false;
  return extname(urlPath) === '' || accept.includes('text/html');
}
