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
  const bridge = `orzo-d${process.pid % 100000}`;
  const subnet = freeSubnet('10.231');
  execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
  const daemon = await launchDockerd({
    args: [`--bridge=${bridge}`, '--iptables=false', '--ip-masq=false', ...(options.liveRestore ? ['--live-restore'] : [])],
  });
  return {
    ...daemon,
    liveRestore: !!options.liveRestore,
    dispose: async () => {
      for (const c of await daemon.docker.listContainers({ all: true }).catch(() => []))
        await daemon.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
      await daemon.dispose();
      try {
        execFileSync('ip', ['link', 'del', bridge]);
      } catch {
        // already gone
      }
    },
  };
}

/** A dockerd started by launchDockerd: its socket, client, and how to kill, restart and remove it. */
export interface LaunchedDockerd {
  socketPath: string;
  dockerHost: string;
  docker: Docker;
  /** Its temp dir (data root, exec root, socket, pidfile, log). */
  root: string;
  kill9(): void;
  start(): Promise<void>;
  log(): string;
  /** SIGTERM (SIGKILL after 15 s), then what it leaves: shims, mounts, its directory. */
  dispose(): Promise<void>;
  /** The same, synchronously and at once (SIGKILL): for a process exit handler. */
  disposeNow(): void;
}

/**
 * Starts a dockerd of its own under a new temp dir (own socket, --data-root, --exec-root,
 * pidfile and log), with `args` added; in the network namespace `netns` (a name under
 * /var/run/netns) when given. It is entered with `nsenter --net` and not `ip netns exec`, which
 * remounts /sys, after which dockerd fails with "Devices cgroup isn't mounted".
 */
export async function launchDockerd(options: { args?: string[]; netns?: string } = {}): Promise<LaunchedDockerd> {
  const root = mkdtempSync(join(tmpdir(), 'orzo-dockerd-'));
  const socketPath = join(root, 'docker.sock');
  const args = [
    `--data-root=${join(root, 'data')}`,
    `--exec-root=${join(root, 'exec')}`,
    `--pidfile=${join(root, 'docker.pid')}`,
    `--host=unix://${socketPath}`,
    ...(options.args ?? []),
  ];
  const [command, argv] = options.netns ? ['nsenter', [`--net=/var/run/netns/${options.netns}`, 'dockerd', ...args]] : ['dockerd', args];
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
    child = spawn(command, argv, { stdio: ['ignore', out, out], detached: true });
    child.unref();
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`dockerd exited with code ${code}`))));
    exited.catch(() => undefined);
    await Promise.race([
      waitFor(() => docker.ping().then(() => true), { timeoutMs: 60_000, intervalMs: 50, what: `the private dockerd on ${socketPath}` }),
      exited,
    ]).catch((err: Error) => {
      throw new Error(`${err.message}\n${readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}`);
    });
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (child?.pid && child.exitCode === null) process.kill(child.pid, sig);
    } catch {
      // already gone (killed before, its exit not seen yet)
    }
  };
  const kill9 = () => signal('SIGKILL');
  // A dockerd that never came back leaves its containers' shims (they name our exec root), and
  // mounts (overlay layers, the data root itself, netns files).
  const cleanUp = () => {
    for (const pid of processesNaming(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
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
  };
  await start();
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    docker,
    root,
    kill9,
    start,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    dispose: async () => {
      if (child?.pid && child.exitCode === null) {
        const gone = new Promise((r) => child!.once('exit', r));
        signal('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
        kill9();
      }
      cleanUp();
    },
    disposeNow: () => {
      kill9();
      cleanUp();
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

/** A `<prefix>.x.0/24` no interface of this host uses (the prefix of it: "<prefix>.x"), x from a random start. */
export function freeSubnet(prefix: string): string {
  const used = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  const first = 1 + Math.floor(Math.random() * 200);
  for (let i = 0; i < 254; i++) {
    const x = 1 + ((first + i) % 254);
    if (!used.includes(` ${prefix}.${x}.`)) return `${prefix}.${x}`;
  }
  throw new Error(`no free ${prefix}.x.0/24 subnet for a private bridge`);
}
