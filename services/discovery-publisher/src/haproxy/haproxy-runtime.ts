import { createConnection } from 'node:net';

/** HAProxy's runtime API on its stats socket: one command (or `;`-separated batch) per connection. */
export class HaproxyRuntime {
  constructor(private readonly socketPath: string) {}

  command(cmd: string, timeoutMs = 2_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.socketPath);
      let out = '';
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`haproxy runtime API: no answer to "${cmd}" within ${timeoutMs}ms`))), timeoutMs);
      socket.on('connect', () => socket.write(`${cmd}\n`));
      socket.on('data', (d) => (out += d.toString()));
      socket.on('error', (err) => (clearTimeout(timer), reject(err)));
      socket.on('end', () => (clearTimeout(timer), resolve(out)));
    });
  }

  /** Backend names and server states, from `show servers state`. */
  async servers(): Promise<Array<{ backend: string; server: string; addr: string; port: number; opState: number; adminState: number }>> {
    const text = await this.command('show servers state');
    return text
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && /^\d+ /.test(l))
      .map((l) => l.split(' '))
      .filter((f) => f.length > 18)
      .map((f) => ({ backend: f[1]!, server: f[3]!, addr: f[4]!, opState: Number(f[5]), adminState: Number(f[6]), port: Number(f[18]) }));
  }
}
