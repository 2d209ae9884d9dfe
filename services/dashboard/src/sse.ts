import type { ServerResponse } from 'node:http';

/** A comment line this often keeps proxies and the browser from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;

/** Server-sent events on one response: headers at once, a heartbeat, backpressure for the source. */
export class SseStream {
  private readonly heartbeat: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    heartbeatMs = HEARTBEAT_MS,
  ) {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies would otherwise buffer the stream.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
    res.once('close', () => this.stop());
  }

  /** Whether the browser is still there. */
  get open(): boolean {
    return !this.ended && !this.res.destroyed;
  }

  /**
   * One message: `event:` when named, `id:` when given (the browser sends it back as
   * Last-Event-ID on reconnect), `data:` the JSON. False when the socket's buffer is full:
   * pause the source until `drained`.
   */
  send(data: unknown, options: { event?: string; id?: string } = {}): boolean {
    let frame = '';
    if (options.event) frame += `event: ${oneLine(options.event)}\n`;
    if (options.id !== undefined) frame += `id: ${oneLine(options.id)}\n`;
    // JSON.stringify escapes newlines inside strings, so the data is one line.
    frame += `data: ${JSON.stringify(data)}\n\n`;
    return this.write(frame);
  }

  /** Calls `fn` once the socket's buffer has room again. */
  drained(fn: () => void): void {
    this.res.once('drain', fn);
  }

  /** Sends the last message (if any) and closes the response. */
  end(last?: { event: string; data: unknown }): void {
    if (!this.open) return;
    if (last) this.send(last.data, { event: last.event });
    this.stop();
    this.res.end();
  }

  private write(frame: string): boolean {
    if (!this.open) return true;
    return this.res.write(frame);
  }

  private stop(): void {
    this.ended = true;
    clearInterval(this.heartbeat);
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}
