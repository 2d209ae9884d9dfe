import { DiscoveryRegistryStore, RegistryWatch } from '@orzo/bus';
import type { Logger } from '@orzo/platform';

/** How long a broken registry watch waits before it is opened again. */
const REWATCH_MS = 1_000;

/**
 * Follows the discovery registry's endpoint lists (a NATS KV watch) and tells which
 * registration changed, so a bounce waiting for its new replicas to be UP in discovery goes
 * on the moment the registrar lists them, not at its next timed pass. Only a trigger: the
 * pass it starts reads the registry itself, and a watch that broke (NATS away) leaves the
 * timed passes to do the work until it is open again.
 */
export class DiscoveryFollower {
  private watch?: RegistryWatch;
  private stopped = false;

  constructor(
    private readonly open: () => Promise<DiscoveryRegistryStore>,
    private readonly onChange: (registration: string) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.follow();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        this.watch = await (await this.open()).watch();
        if (this.stopped) this.watch.stop();
        for await (const change of this.watch.changes) if (change.kind === 'endpoints') this.onChange(change.registration);
      } catch (err) {
        if (!this.stopped) this.logger.warn({ err, retryInMs: REWATCH_MS }, 'discovery registry watch failed; bounces advance on timed passes meanwhile');
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, REWATCH_MS).unref());
    }
  }
}
