import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DatabaseHolder } from '@orzo/persistence';
import { LOGGER, Logger, settleWithin } from '@orzo/platform';
import { InstanceOverrideSchema } from './instance-override.entity';
import { InstanceRespec } from './instance-respec.service';

/** How often expiries are looked for: an override lapses within this of its time. */
export const EXPIRY_TICK_MS = 5_000;

/**
 * Lifts count overrides whose `--for` ran out: the row is in the database, so an expiry that
 * fell while control-api was down is lifted at its next start (the first tick is at boot).
 * The instance gets its configured count again through the same path as `--clear`; the
 * conditional update (lapse) makes one control-api, one tick, do it.
 */
@Injectable()
export class OverrideExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DatabaseHolder,
    private readonly respec: InstanceRespec,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), EXPIRY_TICK_MS);
    this.timer.unref();
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await settleWithin(this.running, 2_000);
  }

  private tick(): void {
    this.running = this.running.then(async () => {
      await this.lapseExpired().catch((err: unknown) => this.logger.warn({ err }, 'override expiry failed; next tick retries'));
    });
  }

  /** Lifts every expired override now; resolves to how many were lifted. */
  async lapseExpired(now = new Date()): Promise<number> {
    const repo = this.db.database.em().getRepository(InstanceOverrideSchema);
    let lifted = 0;
    for (const o of await repo.expired(now.toISOString())) {
      let ref;
      try {
        ref = this.respec.find(o.service, o.cluster, o.instance);
      } catch {
        // The instance left the soa-configs: nothing runs to scale back; the row just lapses.
        await repo.lapse(o.instanceKey, o.expiresAt!);
        continue;
      }
      if (!(await repo.lapse(o.instanceKey, o.expiresAt!))) continue;
      const row = { ...o, instances: null, expiresAt: null, setBy: 'orzo (expiry)', setAt: now.toISOString() };
      const detail = `${o.cluster}.${o.instance}: override ${o.instances} set by ${o.setBy} expired at ${o.expiresAt}; back to instances ${ref.instance.replicas.instances}`;
      try {
        await this.respec.apply(ref, { kind: 'scale', actor: 'orzo (expiry)', detail }, row);
      } catch (err) {
        // Put back as it was, so the next tick tries again (unless someone set a new one meanwhile).
        await repo.nativeUpdate({ instanceKey: o.instanceKey, instances: null, expiresAt: null }, { instances: o.instances, expiresAt: o.expiresAt });
        throw err;
      }
      lifted++;
      this.logger.info({ instance: o.instanceKey, was: o.instances }, 'autoscale override expired; back to the configured count');
    }
    return lifted;
  }
}
