import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { waitFor } from './wait';

export interface PrivateDockerd {
  /** unix socket path; DOCKER_HOST is `unix://<socketPath>`. */
  socketPath: string;
  dockerHost: string;
  docker: Docker;
  liveRestore: boolean;
  /** kill -9 of dockerd (its containerd goes with it; the shims, and so the containers, stay). */
  kill9(): void;
  /** Starts dockerd again on the same socket and data; resolves when it answers. */
  start(): Promise<void>;
  /** What dockerd logged (its log file). */
  log(): string;
  /** Removes every container, stops dockerd, unmounts and deletes its directories and bridge. */
  dispose(): Promise<void>;
}

/**
 * A dockerd of its own, for faults the machine's engine must never suffer (kill -9, restart):
 * its own socket, --data-root, --exec-root and pidfile under a temp dir, and its own bridge
 * (created here, so the machine's docker0 is not touched). `--iptables=false`: two daemons
 * would fight over the same DOCKER chains; published ports work through docker-proxy, the
 * userland proxy, which is what reaches 127.0.0.1 ports anyway. Needs root.
 */
export async function startPrivateDockerd(options: { liveRestore?: boolean } = {}): Promise<PrivateDockerd> {
  const root = mkdtempSync(join(tmpdir(), 'orzo-dockerd-'));
  const socketPath = join(root, 'docker.sock');
  const bridge = `orzo-d${process.pid % 100000}`;
  const subnet = freeSubnet();
  execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
  const args = [
    `--data-root=${join(root, 'data')}`,
    `--exec-root=${join(root, 'exec')}`,
    `--pidfile=${join(root, 'docker.pid')}`,
    `--host=unix://${socketPath}`,
    `--bridge=${bridge}`,
    '--iptables=false',
    '--ip-masq=false',
    ...(options.liveRestore ? ['--live-restore'] : []),
  ];
  const logFile = join(root, 'dockerd.log');
  const docker = new Docker({ socketPath });
  let child: ChildProcess | undefined;
  const start = async () => {
    // dockerd's containerd outlives a kill -9 of dockerd by a moment; a dockerd started in that
    // moment adopts the dying one from its pidfile and then waits for it forever.
    await waitFor(() => !alive(readPid(join(root, 'exec', 'containerd', 'containerd.pid'))), {
      timeoutMs: 15_000,
      what: "the killed dockerd's containerd to exit",
    });
    const out = openSync(logFile, 'a');
    child = spawn('dockerd', args, { stdio: ['ignore', out, out], detached: true });
    child.unref();
    await waitFor(() => docker.ping().then(() => true), { timeoutMs: 60_000, intervalMs: 50, what: `the private dockerd on ${socketPath}` }).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}`);
      },
    );
  };
  const kill9 = () => {
    if (child?.pid) process.kill(child.pid, 'SIGKILL');
  };
  await start();
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    docker,
    liveRestore: !!options.liveRestore,
    kill9,
    start,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    dispose: async () => {
      for (const c of await docker.listContainers({ all: true }).catch(() => []))
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
      if (child?.pid && child.exitCode === null) {
        const gone = new Promise((r) => child!.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }
      // A dockerd that never came back leaves its containers' shims (they name our exec root).
      for (const pid of processesNaming(root)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // Mounts dockerd leaves when killed (overlay layers, the data root itself, netns files).
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(root))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          // already gone
        }
      }
      rmSync(root, { recursive: true, force: true });
      try {
        execFileSync('ip', ['link', 'del', bridge]);
      } catch {
        // already gone
      }
    },
  };
}

/** The processes whose command line names `dir` (this daemon's own, by its unique temp dir). */
function processesNaming(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

function readPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A 10.231.x.0/24 no interface of this host uses (the prefix of it: "10.231.x"). */
function freeSubnet(): string {
  const used = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  for (let x = 1 + (process.pid % 200); x < 255; x++) if (!used.includes(` 10.231.${x}.`)) return `10.231.${x}`;
  throw new Error('no free 10.231.x.0/24 subnet for a private bridge');
}
