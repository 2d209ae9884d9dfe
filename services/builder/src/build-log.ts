import { JetStreamClient } from '@nats-io/jetstream';
import { BuildLogLine, BuildLogs } from '@orzo/contracts';
import type { Logger } from '@orzo/platform';

const TAIL = 30;

/**
 * One build's log: every line goes to the build's subject on the ORZO_BUILD_LOG stream (live
 * for followers, replayable later) in order, and the last lines are kept for build.failed.
 * Publishing a log line never fails the build: a line JetStream could not store is only missing.
 */
export class BuildLog {
  private readonly tailLines: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private warned = false;

  constructor(
    private readonly js: JetStreamClient,
    readonly service: string,
    readonly buildId: string,
    private readonly logger: Logger,
  ) {}

  line(text: string): void {
    for (const l of text.split('\n')) {
      this.tailLines.push(l);
      if (this.tailLines.length > TAIL) this.tailLines.shift();
      this.send({ at: new Date().toISOString(), line: l });
    }
  }

  get tail(): string[] {
    return [...this.tailLines];
  }

  /** The last message of the build; resolves once every line before it was stored. */
  async end(outcome: NonNullable<BuildLogLine['end']>, summary: string): Promise<void> {
    this.send({ at: new Date().toISOString(), line: summary, end: outcome });
    await this.chain;
  }

  private send(entry: BuildLogLine): void {
    const subject = BuildLogs.subject(this.service, this.buildId);
    this.chain = this.chain.then(() =>
      this.js.publish(subject, JSON.stringify(entry)).then(
        () => undefined,
        (err: unknown) => {
          if (!this.warned) this.logger.warn({ err, buildId: this.buildId }, 'build log line could not be stored; the build goes on');
          this.warned = true;
        },
      ),
    );
  }
}
