import { Socket, createConnection } from 'node:net';

/** A server slot as HAProxy's `show servers state` lists it. */
export interface HaproxyServerState {
  backend: string;
  server: string;
  addr: string;
  port: number;
  /** 2 = running (a slot set ready); 0 = stopped (maintenance). */
  opState: number;
  /** Bit 0x01: forced maintenance (`set server ... state maint`). */
  adminState: number;
}

/** What ends each command's answer in HAProxy's interactive (`prompt`) mode. */
const PROMPT = '\n> ';
/**
 * A session idle this long is opened again before the next command: HAProxy closes an idle CLI
 * session after `stats timeout` (10 s in discovery-publisher's config).
 */
const IDLE_REOPEN_MS = 5_000;

interface Waiting {
  lines: string[];
  /** Answers still expected (one per line). */
  left: number;
  out: string;
  resolve: (out: string) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
  /** Sent again once on a new session when the session closed before any of its answer came. */
  retried: boolean;
}

/**
 * HAProxy's runtime API on its stats socket, over one persistent connection in interactive
 * mode (`prompt`): a command costs one round trip on an open socket instead of a connect, a
 * command and a close each time (on a loaded 2-core machine the connect alone took 1-20 ms).
 * Commands are sent in order and answered in order (HAProxy handles a CLI session's lines one
 * after another), so callers may pipeline; each line's answer ends with the prompt. A session
 * that breaks (HAProxy restarted or reloaded, its idle timeout) is opened again by the next
 * command, and a command whose answer had not started is sent again once: every command
 * Orzo sends (`set server`, `show`) is idempotent. A command not answered within its timeout
 * fails alone; the session is closed then too (its late answer would be taken for the next
 * command's), which the other commands in flight go through as through a break. After a reload, `reset()` so the next
 * command reaches the new worker, not the old one finishing its sessions.
 */
export class HaproxyRuntime {
  private socket?: Socket;
  private buffer = '';
  private readonly waiting: Waiting[] = [];
  private lastUsed = 0;

  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 2_000,
  ) {}

  /**
   * One or more commands (no `;` or newline inside one: each is its own line, answered on its
   * own), sent together; resolves with their answers concatenated.
   */
  command(cmd: string | readonly string[], timeoutMs = this.timeoutMs): Promise<string> {
    const lines = typeof cmd === 'string' ? [cmd] : [...cmd];
    const bad = lines.find((l) => /[;\n]/.test(l));
    if (bad !== undefined) return Promise.reject(new Error(`haproxy runtime API: one command per line, without ";" or newline: ${JSON.stringify(bad)}`));
    if (!lines.length) return Promise.resolve('');
    return new Promise((resolve, reject) => {
      const w: Waiting = { lines, left: lines.length, out: '', resolve, reject, retried: false };
      w.timer = setTimeout(() => this.timedOut(w, new Error(`haproxy runtime API: no answer to "${lines.join('; ')}" within ${timeoutMs}ms`)), timeoutMs);
      this.send(w);
    });
  }

  /** Closes the session (commands in flight fail); the next command opens a new one. */
  reset(): void {
    this.fail(new Error('haproxy runtime API: session reset'));
  }

  /** Backend names and server states, from `show servers state` (of one backend, or all). */
  async servers(backend?: string): Promise<HaproxyServerState[]> {
    return parseServersState(await this.command(backend ? `show servers state ${backend}` : 'show servers state'));
  }

  private send(w: Waiting): void {
    if (this.socket && Date.now() - this.lastUsed > IDLE_REOPEN_MS && !this.waiting.length) this.close();
    this.waiting.push(w);
    this.lastUsed = Date.now();
    this.open().write(`${w.lines.join('\n')}\n`);
  }

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = createConnection(this.socketPath);
    this.socket = socket;
    this.buffer = '';
    // Interactive mode: every answer is followed by a prompt (this first line's answer is one).
    socket.write('prompt\n');
    let promptSeen = false;
    socket.on('data', (d) => {
      if (this.socket !== socket) return;
      // HAProxy's idle timeout counts from the session's last traffic, an answer's too.
      this.lastUsed = Date.now();
      this.buffer += d.toString();
      for (let i = this.buffer.indexOf(PROMPT); i >= 0; i = this.buffer.indexOf(PROMPT)) {
        const answer = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + PROMPT.length);
        if (!promptSeen) {
          promptSeen = true;
          continue;
        }
        const w = this.waiting[0];
        if (!w) continue;
        w.out += answer ? `${answer}${answer.endsWith('\n') ? '' : '\n'}` : '';
        if (--w.left > 0) continue;
        this.waiting.shift();
        clearTimeout(w.timer);
        w.resolve(w.out);
      }
    });
    const broken = (err?: Error) => {
      if (this.socket === socket) this.reopen(err ?? new Error('haproxy runtime API: the session closed before the answer'));
    };
    socket.on('error', broken);
    socket.on('close', () => broken());
    return socket;
  }

  private close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  /**
   * A command not answered in time fails alone. Its answer may still come, and answers are
   * told apart only by their order: it would be taken for the next command's. So the session
   * is closed, and the other commands in flight go on as when a session breaks.
   */
  private timedOut(w: Waiting, err: Error): void {
    const i = this.waiting.indexOf(w);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    w.reject(err);
    // Not their session's fault: re-sending them spends none of their one retry (each one's
    // timer still bounds it), so a second timeout does not fail them either.
    this.reopen(new Error('haproxy runtime API: the session was closed before the answer (another command on it timed out)'), false);
  }

  /**
   * Closes the session; the commands in flight whose answer had not started go again on a new
   * session (once, when `spendsRetry`: a session that keeps breaking); the others fail with `err`.
   */
  private reopen(err: Error, spendsRetry = true): void {
    this.close();
    for (const w of this.waiting.splice(0)) {
      if (w.left === w.lines.length && !w.out && !(spendsRetry && w.retried)) {
        if (spendsRetry) w.retried = true;
        this.send(w);
      } else {
        clearTimeout(w.timer);
        w.reject(err);
      }
    }
  }

  private fail(err: Error): void {
    this.close();
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}

/** The rows of `show servers state`. */
export function parseServersState(text: string): HaproxyServerState[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && /^\d+ /.test(l))
    .map((l) => l.split(' '))
    .filter((f) => f.length > 18)
    .map((f) => ({ backend: f[1]!, server: f[3]!, addr: f[4]!, opState: Number(f[5]), adminState: Number(f[6]), port: Number(f[18]) }));
}
