import type { Logger } from '@orzo/platform';
import type { HaproxyProcess } from './haproxy-process';

/**
 * Notices that the local HAProxy died (its master's pid is gone: killed, OOM, crashed) and has
 * it started and reprogrammed with no operator action. Polling the pid is enough: HAProxy is a
 * daemon, not our child, so there is no exit event to wait on.
 */
export class HaproxyWatchdog {
  private timer?: NodeJS.Timeout;
  private restarting = false;

  constructor(
    private readonly haproxy: HaproxyProcess,
    private readonly logger: Logger,
    /** Whether HAProxy should run now (it refuses to run without a frontend). */
    private readonly wanted: () => boolean,
    /** Starts it again and re-applies every slot. */
    private readonly restart: () => Promise<void>,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<void> {
    if (this.restarting || !this.wanted() || this.haproxy.masterPid() !== undefined) return;
    this.restarting = true;
    const since = Date.now();
    this.logger.warn('haproxy is not running; starting it again and re-applying every slot');
    try {
      await this.restart();
      this.logger.info({ tookMs: Date.now() - since, haproxyPid: this.haproxy.masterPid() }, 'haproxy restarted and reprogrammed');
    } catch (err) {
      this.logger.error({ err }, 'could not restart haproxy; trying again');
    } finally {
      this.restarting = false;
    }
  }
}
