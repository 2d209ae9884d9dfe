import { exec, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { LaunchedDockerd, freeSubnet, launchDockerd } from './private-dockerd';
import { RegistryHandle, startRegistry } from './registry';
import { waitFor } from './wait';

const sh = promisify(exec);

export interface SwarmNode {
  /** node1, node2, ... (also its network namespace's suffix and its `orzo.node` label). */
  name: string;
  /** Its address on the bridge: Swarm advertises it, host-mode ports answer on it. */
  ip: string;
  /** `unix://<socket>` of its dockerd (reachable from the root namespace). */
  dockerHost: string;
  docker: Docker;
  /** Its Swarm node id. */
  nodeId: string;
  manager: boolean;
}

export interface Swarm {
  nodes: SwarmNode[];
  /** The first node, the manager that `swarm init` made: where a scheduler-bridge talks to. */
  manager: SwarmNode;
  /** The bridge in the root namespace and its address (the nodes' gateway). */
  bridge: { name: string; ip: string };
  /** host:port of the registry on the bridge address, when started with `registry: true`. */
  registry?: string;
  /** kill -9 of node i's dockerd (its containers' shims stay, as on a machine that lost its engine). */
  killNode(i: number): void;
  /** Starts node i's dockerd again (same data, same Swarm membership); resolves when it answers. */
  startNode(i: number): Promise<void>;
  /** The last lines node i's dockerd logged (for a failing test's diagnostics). */
  nodeLog(i: number, lines?: number): string;
  /** Copies an image of the machine's engine onto nodes (all by default) by `docker save | docker load`. */
  loadImage(image: string, nodes?: number[]): Promise<void>;
  /**
   * Puts an image of the machine's engine into the registry as `<registry>/<name>` (through
   * node 1, whose engine trusts the registry; the machine's does not) and leaves no node with
   * it: every node that runs it pulls it. Returns the full image name.
   */
  pushImage(image: string, name: string): Promise<string>;
  /** Removes daemons, namespaces, veths, bridge, iptables rule, registry and temp dirs; safe twice. */
  dispose(): Promise<void>;
}

export interface SwarmOptions {
  nodes?: number;
  /** How many of the nodes (the first ones) are managers; 1 by default, the rest are workers. */
  managers?: number;
  /** Node i's `pool` label (default "default"). */
  pools?: string[];
  /** Start a registry on the bridge address that every node's engine trusts (insecure, no auth). */
  registry?: boolean;
  /** Swarm's dispatcher heartbeat: a dead node is marked down after a few of them (default 1 s). */
  heartbeatMs?: number;
}

/**
 * A real multi-node Docker Swarm on this one machine: a Linux bridge with an address in the
 * root network namespace, one network namespace per node joined to it by a veth pair, in each
 * a dockerd of its own; `iptables -I DOCKER-USER -i <bridge> -o <bridge> -j ACCEPT` lets the
 * nodes reach each other through the root namespace's FORWARD DROP policy (so the machine's
 * dockerd must be running: it owns DOCKER-USER; it is never restarted). Host-mode published
 * ports answer at each node's IP from the root namespace; the ingress routing mesh does not.
 * Needs root, `ip netns`, `nsenter` and iptables; anything missing fails at once with what to do.
 */
export async function startSwarm(options: SwarmOptions = {}): Promise<Swarm> {
  preflight();
  const count = options.nodes ?? 3;
  const tag = `${process.pid % 100000}${Math.random().toString(36).slice(2, 4)}`;
  const subnet = freeSubnet(`10.${200 + Math.floor(Math.random() * 50)}`);
  const bridge = { name: `osw${tag}`, ip: `${subnet}.1` };
  const rule = ['DOCKER-USER', '-i', bridge.name, '-o', bridge.name, '-j', 'ACCEPT'];
  const namespaces: string[] = [];
  const daemons: LaunchedDockerd[] = [];
  let registry: RegistryHandle | undefined;
  let disposed = false;

  // Each step on its own: one that fails must not leave the others undone.
  const teardownNow = () => {
    for (const d of daemons) {
      try {
        d.disposeNow();
      } catch {
        // the next steps go on
      }
    }
    for (const [i, ns] of namespaces.entries()) {
      quietly('ip', ['netns', 'del', ns]);
      quietly('ip', ['link', 'del', `${bridge.name}h${i + 1}`]);
    }
    quietly('ip', ['link', 'del', bridge.name]);
    while (quietly('iptables', ['-D', ...rule]));
  };
  const onExit = () => teardownNow();
  process.once('exit', onExit);
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    process.removeListener('exit', onExit);
    try {
      await Promise.allSettled(daemons.map((d) => d.dispose()));
      await registry?.stop().catch(() => undefined);
    } finally {
      teardownNow();
    }
  };

  try {
    run('ip', ['link', 'add', bridge.name, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${bridge.ip}/24`, 'dev', bridge.name]);
    run('ip', ['link', 'set', bridge.name, 'up']);
    run('iptables', ['-I', ...rule]);
    if (options.registry) registry = await startRegistry(undefined, bridge.ip);
    const ips = Array.from({ length: count }, (_, i) => `${subnet}.${11 + i}`);
    for (let i = 0; i < count; i++) {
      const ns = `orzo-${bridge.name}-n${i + 1}`;
      run('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      const [host, peer] = [`${bridge.name}h${i + 1}`, `${bridge.name}n${i + 1}`];
      run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
      run('ip', ['link', 'set', peer, 'netns', ns]);
      run('ip', ['link', 'set', host, 'master', bridge.name, 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${ips[i]}/24`, 'dev', peer]);
      run('ip', ['-n', ns, 'link', 'set', peer, 'up']);
      run('ip', ['-n', ns, 'route', 'add', 'default', 'via', bridge.ip]);
    }
    // The daemons start together: each takes a few seconds.
    const started = await Promise.allSettled(
      namespaces.map((ns) => launchDockerd({ netns: ns, args: registry ? [`--insecure-registry=${registry.address}`] : [] })),
    );
    for (const s of started) if (s.status === 'fulfilled') daemons.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    const nodes = await formSwarm(daemons, ips, options);
    const swarm: Swarm = {
      nodes,
      manager: nodes[0]!,
      bridge,
      registry: registry?.address,
      killNode: (i) => daemons[i]!.kill9(),
      startNode: (i) => daemons[i]!.start(),
      nodeLog: (i, lines = 30) => daemons[i]!.log().split('\n').slice(-lines).join('\n'),
      loadImage: async (image, which = nodes.map((_, i) => i)) => {
        for (const i of which) await sh(`docker save ${image} | docker -H ${nodes[i]!.dockerHost} load -q`);
      },
      pushImage: async (image, name) => {
        if (!registry) throw new Error('pushImage needs startSwarm({ registry: true })');
        const target = `${registry.address}/${name}`;
        const node = nodes[0]!.dockerHost;
        await sh(`docker save ${image} | docker -H ${node} load -q && docker -H ${node} tag ${image} ${target} && docker -H ${node} push -q ${target}`);
        await sh(`docker -H ${node} rmi ${image} ${target}`);
        return target;
      },
      dispose,
    };
    return swarm;
  } catch (err) {
    const logs = daemons.map((d, i) => `node${i + 1}: ${d.log().split('\n').slice(-5).join('\n')}`).join('\n');
    await dispose();
    throw new Error(`could not start a ${count}-node swarm: ${(err as Error).message}${logs ? `\n${logs}` : ''}`);
  }
}

/** swarm init on the first daemon, join of the others (managers first), then each node's labels. */
async function formSwarm(daemons: LaunchedDockerd[], ips: string[], options: SwarmOptions): Promise<SwarmNode[]> {
  const managers = Math.max(1, options.managers ?? 1);
  const first = daemons[0]!.docker;
  const heartbeat = (options.heartbeatMs ?? 1_000) * 1e6;
  await first.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: ips[0], Spec: { Dispatcher: { HeartbeatPeriod: heartbeat } } });
  const tokens = ((await first.swarmInspect()) as { JoinTokens: { Manager: string; Worker: string } }).JoinTokens;
  for (let i = 1; i < daemons.length; i++) {
    await daemons[i]!.docker.swarmJoin({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: ips[i],
      RemoteAddrs: [`${ips[0]}:2377`],
      JoinToken: i < managers ? tokens.Manager : tokens.Worker,
    });
  }
  const nodes: SwarmNode[] = [];
  for (let i = 0; i < daemons.length; i++) {
    const info = (await daemons[i]!.docker.info()) as { Swarm: { NodeID: string } };
    const nodeId = info.Swarm.NodeID;
    const name = `node${i + 1}`;
    const node = first.getNode(nodeId);
    const { Version, Spec } = (await node.inspect()) as { Version: { Index: number }; Spec: { Labels?: Record<string, string> } };
    await node.update({ version: Version.Index, ...Spec, Labels: { ...Spec.Labels, pool: options.pools?.[i] ?? 'default', 'orzo.node': name } });
    nodes.push({ name, ip: ips[i]!, dockerHost: daemons[i]!.dockerHost, docker: daemons[i]!.docker, nodeId, manager: i < managers });
  }
  await waitFor(
    async () => {
      const listed = (await first.listNodes()) as Array<{ Status: { State: string } }>;
      return listed.length === daemons.length && listed.every((n) => n.Status.State === 'ready');
    },
    { timeoutMs: 30_000, what: `${daemons.length} swarm nodes ready` },
  );
  return nodes;
}

/** What a multi-node swarm needs here, checked before anything is created, each with its fix. */
function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error('startSwarm needs root (network namespaces, a bridge, iptables, dockerd)');
  for (const [tool, fix] of [
    ['ip', 'apt-get install -y iproute2'],
    ['nsenter', 'apt-get install -y util-linux'],
    ['iptables', 'apt-get install -y iptables'],
    ['dockerd', 'apt-get install -y docker.io'],
  ] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore', timeout: 5_000 });
    } catch {
      throw new Error(`startSwarm needs ${tool}: ${fix}`);
    }
  }
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'pipe', timeout: 5_000 });
  } catch (err) {
    throw new Error(`startSwarm needs network namespaces (ip netns): ${(err as Error).message}`);
  }
  try {
    execFileSync('iptables', ['-w', '5', '-n', '-L', 'DOCKER-USER'], { stdio: 'pipe', timeout: 10_000 });
  } catch (err) {
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    throw new Error(`startSwarm needs iptables and the chain DOCKER-USER, made by the machine's running dockerd: ${why}`);
  }
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', timeout: 10_000 });
  } catch (err) {
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    throw new Error(`${cmd} ${args.join(' ')} failed: ${why}`);
  }
}

/** Runs a clean-up command; whether it succeeded (false when the thing was already gone). */
function quietly(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
