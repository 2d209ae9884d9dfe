import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from './ports';
import { waitFor } from './wait';

export interface RegistryHandle {
  /** host:port, usable as an image name prefix (Docker trusts 127.0.0.0/8 without TLS). */
  address: string;
  stop(): Promise<void>;
}

/**
 * A private image registry (Debian's docker-registry, Distribution v2) on a free port of
 * `host` (127.0.0.1 by default; a bridge address for engines in other network namespaces,
 * which must then be started with `--insecure-registry <host>:<port>`).
 */
export async function startRegistry(binary = process.env.ORZO_REGISTRY_BIN ?? 'docker-registry', host = '127.0.0.1'): Promise<RegistryHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'orzo-registry-'));
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}:${port}\n`,
  );
  const child = spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`docker-registry exited with ${code}: ${stderr}`))));
  exited.catch(() => undefined);
  await Promise.race([waitFor(() => canConnect(port, host), { timeoutMs: 10_000, what: `docker-registry on ${host}:${port}` }), exited]);
  return {
    address: `${host}:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
