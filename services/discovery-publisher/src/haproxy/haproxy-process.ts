import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registration } from '@orzo/contracts';
import { HaproxyRuntime, type Logger } from '@orzo/platform';
import { renderHaproxyConfig } from './haproxy-config';

/**
 * The local HAProxy: a daemon in master-worker mode (pidfile in its directory) that outlives
 * discovery-publisher, so traffic keeps flowing while the publisher restarts; a new publisher
 * adopts the running one. Reloaded hitlessly (SIGUSR2 to the master) only when the set of
 * frontends changes.
 */
export class HaproxyProcess {
  /** The runtime API session that programs the slots (the routing path: nothing else waits in it). */
  readonly runtime: HaproxyRuntime;
  /** A second session for reads (drain state, health), so they never delay a slot change. */
  readonly stats: HaproxyRuntime;
  private readonly configPath: string;
  private readonly socketPath: string;
  private readonly pidPath: string;

  constructor(
    dir: string,
    private readonly binary: string,
    private readonly logger: Logger,
    /** The address every frontend binds on (ORZO_PROXY_BIND). */
    private readonly bind = '127.0.0.1',
  ) {
    mkdirSync(dir, { recursive: true });
    this.configPath = join(dir, 'haproxy.cfg');
    this.socketPath = join(dir, 'haproxy.sock');
    this.pidPath = join(dir, 'haproxy.pid');
    this.runtime = new HaproxyRuntime(this.socketPath);
    this.stats = new HaproxyRuntime(this.socketPath);
  }

  /** The master's pid when a HAProxy of this directory runs. */
  masterPid(): number | undefined {
    if (!existsSync(this.pidPath)) return undefined;
    const pid = Number(readFileSync(this.pidPath, 'utf8').trim().split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /**
   * Starts HAProxy with these frontends, adopts a running one, or reloads it when its config
   * differs. Returns true when HAProxy (re)loaded its config, so slots must be applied again.
   */
  async apply(frontends: readonly Registration[]): Promise<boolean> {
    if (frontends.length === 0) return false; // HAProxy refuses to run without a listener
    const config = renderHaproxyConfig(frontends, this.socketPath, this.bind);
    const names = frontends.map((f) => f.name).sort();
    const running = this.masterPid();
    const current = existsSync(this.configPath) ? readFileSync(this.configPath, 'utf8') : '';
    if (running && current === config) {
      await this.waitForBackends(names);
      this.logger.info({ haproxyPid: running, frontends: names }, 'adopted the running haproxy');
      return true;
    }
    const check = spawnSync(this.binary, ['-c', '-q', '-f', this.writeCandidate(config)], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`haproxy rejects the generated config: ${check.stderr || check.stdout}`);
    writeFileSync(this.configPath, config);
    if (running) {
      process.kill(running, 'SIGUSR2');
    } else {
      if (existsSync(this.socketPath)) rmSync(this.socketPath);
      const started = spawnSync(this.binary, ['-W', '-D', '-f', this.configPath, '-p', this.pidPath], { encoding: 'utf8' });
      if (started.status !== 0) throw new Error(`haproxy did not start: ${started.stderr || started.stdout}`);
    }
    // The sessions open now may be the old worker's, which finishes its connections and then goes.
    this.stats.reset();
    await this.waitForBackends(names, true);
    this.logger.info({ haproxyPid: this.masterPid(), frontends: names, reloaded: Boolean(running) }, 'haproxy configured');
    return true;
  }

  private writeCandidate(config: string): string {
    const path = `${this.configPath}.new`;
    writeFileSync(path, config);
    return path;
  }

  /**
   * Until the programming session sees every backend: on a new session each try after a
   * (re)start, so it ends up on the worker that has this config, and stays there.
   */
  private async waitForBackends(names: string[], fresh = false): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (fresh) this.runtime.reset();
      try {
        const backends = new Set((await this.runtime.servers()).map((s) => s.backend));
        if (names.every((n) => backends.has(n))) return;
      } catch {
        // socket not there yet
      }
      if (Date.now() > deadline) throw new Error(`haproxy did not come up with backends ${names.join(', ')} within 10s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
