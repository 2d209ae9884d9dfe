import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registration } from '@orzo/contracts';
import type { Logger } from '@orzo/platform';
import { renderHaproxyConfig } from './haproxy-config';
import { HaproxyRuntime } from './haproxy-runtime';

/**
 * The HAProxy this discovery-publisher owns: started in master-worker mode, reloaded hitlessly
 * (SIGUSR2 to the master) only when the set of frontends changes.
 */
export class HaproxyProcess {
  readonly runtime: HaproxyRuntime;
  private child?: ChildProcess;
  private config = '';
  private readonly configPath: string;
  private readonly socketPath: string;

  constructor(
    dir: string,
    private readonly binary: string,
    private readonly logger: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    this.configPath = join(dir, 'haproxy.cfg');
    this.socketPath = join(dir, 'haproxy.sock');
    this.runtime = new HaproxyRuntime(this.socketPath);
  }

  /** Starts HAProxy with these frontends, or reloads it when they differ from the running ones. */
  async apply(frontends: readonly Registration[]): Promise<boolean> {
    if (frontends.length === 0) {
      // HAProxy refuses to run without a listener; nothing to proxy yet.
      await this.stop();
      this.config = '';
      return false;
    }
    const config = renderHaproxyConfig(frontends, this.socketPath);
    if (config === this.config && this.child && this.child.exitCode === null) return false;
    writeFileSync(this.configPath, config);
    const names = frontends.map((f) => f.name).sort();
    if (!this.child || this.child.exitCode !== null) {
      if (existsSync(this.socketPath)) rmSync(this.socketPath);
      const child = spawn(this.binary, ['-W', '-f', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.once('exit', (code) => code && this.logger.error({ code, stderr }, 'haproxy exited'));
      this.child = child;
      await this.waitForBackends(names, () => (child.exitCode !== null ? `haproxy exited: ${stderr}` : undefined));
    } else {
      this.child.kill('SIGUSR2');
      await this.waitForBackends(names, () => undefined);
    }
    this.config = config;
    this.logger.info({ frontends: names }, 'haproxy configured');
    return true;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }

  private async waitForBackends(names: string[], failed: () => string | undefined): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const why = failed();
      if (why) throw new Error(why);
      try {
        const backends = new Set((await this.runtime.servers()).map((s) => s.backend));
        if (names.every((n) => backends.has(n))) return;
      } catch {
        // socket not there yet
      }
      if (Date.now() > deadline) throw new Error(`haproxy did not come up with backends ${names.join(', ')} within 10s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
