import type { ChildProcess } from 'node:child_process';

/** `orzo up` waits this long after forwarding a stop before it kills what is left (a service's own deadline is 8s). */
export const UP_STOP_DEADLINE_MS = 15_000;

/** A copy of the same Ctrl-C (the terminal signals the whole process group, a wrapper may forward it too). */
const DUPLICATE_SIGNAL_MS = 1_000;

/** How long output still buffered in a child's pipes may take to arrive after it exited. */
const OUTPUT_AFTER_EXIT_MS = 1_000;

interface Member {
  name: string;
  child: ChildProcess;
  exited: Promise<number>;
}

/**
 * The processes `orzo up` runs, stopped together: the first SIGINT / SIGTERM is forwarded once
 * (as SIGTERM) to every live child, and whatever is still alive after the deadline is killed
 * (SIGKILL); a second Ctrl-C (SIGINT, not the duplicate of the first) kills at once. `stopped()`
 * resolves only when no child is left.
 */
export class ChildGroup {
  private readonly members: Member[] = [];
  private firstSignalAt?: number;
  private deadline?: NodeJS.Timeout;
  private killedAny = false;
  stopping = false;

  constructor(
    private readonly say: (line: string) => void,
    private readonly deadlineMs = UP_STOP_DEADLINE_MS,
  ) {}

  /** Listens for SIGINT / SIGTERM until `dispose`. */
  listen(): this {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    return this;
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    clearTimeout(this.deadline);
  }

  /** Adds a child; resolves to its exit code (1 when it died of a signal) once it exited and its output was read. */
  add(name: string, child: ChildProcess): Promise<number> {
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code) => {
        const done = () => resolve(code ?? 1);
        // 'close' follows once its pipes are read to the end, unless a grandchild holds them.
        const late = setTimeout(done, OUTPUT_AFTER_EXIT_MS);
        child.once('close', () => (clearTimeout(late), done()));
      });
    });
    this.members.push({ name, child, exited });
    // A child added while stopping (a migrate step racing a Ctrl-C) is stopped too.
    if (this.stopping) this.signalLive('SIGTERM');
    return exited;
  }

  /** Asks every live child to stop (once), and arms the deadline after which the rest is killed. */
  stop(why: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.say(`stopping the platform (${why}); waiting up to ${this.deadlineMs / 1000}s`);
    this.signalLive('SIGTERM');
    this.deadline = setTimeout(() => this.killAll(`still running ${this.deadlineMs / 1000}s after the stop`), this.deadlineMs);
  }

  /** SIGKILL to every child still alive, naming them. */
  killAll(why: string): void {
    const live = this.live();
    if (live.length === 0) return;
    this.killedAny = true;
    this.say(`killing ${live.map((m) => `${m.name} (pid ${m.child.pid})`).join(', ')}: ${why}`);
    for (const m of live) m.child.kill('SIGKILL');
  }

  /** Resolves when every child added so far has exited; true when none had to be killed. */
  async stopped(): Promise<boolean> {
    await Promise.all(this.members.map((m) => m.exited));
    clearTimeout(this.deadline);
    return !this.killedAny;
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.firstSignalAt === undefined) {
      this.firstSignalAt = Date.now();
      this.stop(signal);
    } else if (signal === 'SIGINT' && Date.now() - this.firstSignalAt >= DUPLICATE_SIGNAL_MS) {
      // Only a second Ctrl-C escalates: a SIGTERM while stopping is a wrapper's (npm, start.sh) copy.
      this.killAll(`second ${signal}`);
    }
  };

  private live(): Member[] {
    return this.members.filter((m) => m.child.exitCode === null && m.child.signalCode === null);
  }

  private signalLive(signal: NodeJS.Signals): void {
    for (const m of this.live()) m.child.kill(signal);
  }
}
