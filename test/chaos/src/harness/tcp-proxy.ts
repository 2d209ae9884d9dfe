import { Server, Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP proxy in front of a server (PostgreSQL here) that a test can cut: while cut, new
 * connections are refused (nothing listens) and every open one is destroyed, as when the
 * database host becomes unreachable; `restore` listens again on the same port.
 */
export class TcpProxy {
  private server?: Server;
  private readonly open = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(port: number, target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(port, target);
    await proxy.restore();
    return proxy;
  }

  async restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.open) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
