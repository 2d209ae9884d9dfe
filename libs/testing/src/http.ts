import { get } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * GET over node:http with a hard timeout. Tests use this rather than `fetch`: right after a
 * container starts, docker-proxy accepts the connection and then holds it, and undici's socket
 * does not keep Node's event loop alive, so an awaited `fetch` there can end the test process
 * with "Promise resolution is still pending" (seen in CI, ~1 in 10 runs).
 */
export function httpGet(url: string, timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs}ms`)));
    req.on('error', reject);
  });
}
