import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { api, registryOfImage, versionOf } from '@orzo/contracts';
import { CompiledInstance, CompiledService, formatProblem, loadSoaConfigs, loadSystemConfig, repositoryOf, versionEnv } from '@orzo/soa-config';
import { ControlApiOptions, unary, withControlApi } from './api-commands';
import { EXIT, Output, UsageError } from './command-kit';

export interface LocalRunOptions extends ControlApiOptions {
  service?: string;
  cluster?: string;
  instance?: string;
  soaDir?: string;
  build?: boolean;
  pull?: boolean;
  image?: string;
  cmd?: string;
  interactive?: boolean;
  /** false with -k / --no-healthcheck. */
  healthcheck?: boolean;
  healthcheckOnly?: boolean;
  dryRun?: boolean;
  port?: string;
}

/** Labels of a local-run container: never `orzo.managed`, so no scheduler-bridge on this machine adopts it. */
const LOCAL_RUN_LABEL = 'orzo.local_run';

/**
 * `orzo local-run` (PaaSTA's local-run): the instance's image on this machine's Docker, with
 * the env, port, cpus and mem a scheduler-bridge gives its replicas (the compiled instance of
 * libs/soa-config plus the version's variables), and its health check simulated as
 * monitor-bridge runs it (grace period, interval, timeout, consecutive failures) while the
 * container's output streams. The container is always removed at the end, Ctrl-C included.
 */
export async function localRun(o: LocalRunOptions, io: Output): Promise<number> {
  if (!o.service || !o.cluster || !o.instance) throw new UsageError('-s/--service, -c/--cluster and -i/--instance are required');
  if ([o.build, o.pull, o.image].filter(Boolean).length > 1) throw new UsageError('give one of --build, --pull and --image');
  if (o.port !== undefined && !/^\d{1,5}$/.test(o.port)) throw new UsageError(`--port ${o.port} is not a port number`);
  if (o.interactive && o.healthcheckOnly) throw new UsageError('--interactive and --healthcheck-only do not go together');
  const found = findInstance(o, io);
  if (typeof found === 'number') return found;
  const { svc, instance } = found;

  const picked = await pickImage(o, svc, instance, io);
  if (typeof picked === 'number') return picked;
  const hostPort = o.port ? Number(o.port) : await freeLocalPort();
  const name = `orzo-local-run-${svc.name}-${instance.instance}-${Math.random().toString(36).slice(2, 8)}`;
  const run = dockerRunArgs(instance, picked.image, picked.gitSha, { name, hostPort, cmd: o.cmd, interactive: !!o.interactive });
  if (o.dryRun) {
    if (picked.build) io.out(shellWords(['docker', ...picked.build]));
    io.out(shellWords(['docker', ...run]));
    return EXIT.ok;
  }
  if (picked.build) {
    io.err(`building ${picked.image} from ${picked.build[picked.build.length - 1]}`);
    const code = await inherit(picked.build);
    if (code !== 0) {
      io.err(`docker build failed (exit ${code})`);
      return EXIT.failure;
    }
  } else if (o.pull) {
    io.err(`pulling ${picked.image}`);
    if ((await inherit(['pull', picked.image])) !== 0) {
      io.err(`docker pull ${picked.image} failed`);
      return EXIT.failure;
    }
  }
  return o.interactive ? runInteractive(run, name, io) : runDetached(run, name, instance, hostPort, o, io);
}

function findInstance(o: LocalRunOptions, io: Output): { svc: CompiledService; instance: CompiledInstance } | number {
  const system = loadSystemConfig();
  const r = loadSoaConfigs({ soaDir: o.soaDir, service: o.service, system: system.config });
  const problems = [...system.problems, ...r.problems].filter((p) => p.severity === 'error');
  const svc = r.services.find((s) => s.name === o.service);
  if (!svc) {
    for (const p of problems) io.err(formatProblem(p));
    io.err(`unknown service ${o.service} in the soa-configs tree${o.soaDir ? ` ${o.soaDir}` : ''} (give it with -y/--soa-dir)`);
    return EXIT.failure;
  }
  if (problems.length) {
    for (const p of problems) io.err(formatProblem(p));
    io.err(`${svc.name}'s soa-configs have ${problems.length} error(s): fix them first (orzo validate -s ${svc.name})`);
    return EXIT.failure;
  }
  const all = [...svc.instances, ...svc.adhoc];
  const instance = all.find((i) => i.cluster === o.cluster && i.instance === o.instance);
  if (!instance) {
    io.err(`${svc.name} has no instance ${o.instance} on cluster ${o.cluster}; it has: ${all.map((i) => `${i.cluster}.${i.instance}`).join(', ') || '(none)'}`);
    return EXIT.failure;
  }
  return { svc, instance };
}

interface PickedImage {
  image: string;
  gitSha: string;
  /** docker build arguments, with --build. */
  build?: string[];
}

/** The image to run: built here (--build), given (--image), or the deploy group's marked version (--pull, default). */
async function pickImage(o: LocalRunOptions, svc: CompiledService, instance: CompiledInstance, io: Output): Promise<PickedImage | number> {
  if (o.image) return { image: o.image, gitSha: versionOf(o.image) };
  if (o.build) {
    const context = buildContext(svc);
    const gitSha = await gitHead(context);
    const image = `services-${svc.name}:local-run`;
    // What the builder does at a commit: the context's Dockerfile, its labels, the classic builder's cleanup.
    const build = ['build', '--rm', '--force-rm', '-t', image, '--label', `orzo.service=${svc.name}`, '--label', `orzo.git_sha=${gitSha}`, context];
    return { image, gitSha, build };
  }
  let latest: api.GetLatestDeploymentResponse | undefined;
  const code = await withControlApi(o, io, async (c) => {
    latest = await unary<api.GetLatestDeploymentRequest, api.GetLatestDeploymentResponse>(c, 'getLatestDeployment', {
      service: svc.name,
      deployGroup: instance.deployGroup,
    });
    return EXIT.ok;
  });
  if (!latest) {
    io.err(
      `the deployed version of ${svc.name} (deploy group ${instance.deployGroup}) is not known: run with --build to build the checkout here, or --image <ref>`,
    );
    return code || EXIT.failure;
  }
  if (!o.pull && !o.dryRun && !(await dockerOk(['image', 'inspect', latest.image]))) {
    io.err(
      `${latest.image} (deploy group ${instance.deployGroup}'s version) is not on this machine: ${registryOfImage(latest.image) ? 'add --pull to pull it, or ' : ''}use --build to build the checkout here`,
    );
    return EXIT.failure;
  }
  if (o.pull && !registryOfImage(latest.image) && !o.dryRun) {
    io.err(`${latest.image} has no registry in its name, so it cannot be pulled (it lives on the engine that built it): use --build`);
    return EXIT.failure;
  }
  return { image: latest.image, gitSha: latest.gitSha };
}

/** The service's repository when service.yaml's git_url is a directory on this machine (as the builder resolves it), else the current directory. */
function buildContext(svc: CompiledService): string {
  const repo = repositoryOf(svc);
  return repo.startsWith('/') && existsSync(repo) && statSync(repo).isDirectory() ? repo : process.cwd();
}

function gitHead(dir: string): Promise<string> {
  return new Promise((done) => execFile('git', ['-C', dir, 'rev-parse', 'HEAD'], (err, stdout) => done(err ? 'local' : stdout.trim() || 'local')));
}

/** `docker run` arguments for the instance, as scheduler-bridge's DockerEngine creates a replica. */
export function dockerRunArgs(
  i: CompiledInstance,
  image: string,
  gitSha: string,
  o: { name: string; hostPort: number; cmd?: string; interactive: boolean },
): string[] {
  const env = { ...i.env, ...versionEnv(image, gitSha) };
  const args = [
    'run',
    '--name',
    o.name,
    '--label',
    `${LOCAL_RUN_LABEL}=true`,
    '--label',
    `orzo.service=${i.service}`,
    '--label',
    `orzo.instance=${i.instance}`,
  ];
  args.push('--init', '--cpus', String(i.cpus), '--memory', `${i.memMb}m`);
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  args.push('--publish', `127.0.0.1:${o.hostPort}:${i.containerPort}`);
  args.push(...(o.interactive ? ['--rm', '-i', ...(process.stdin.isTTY ? ['-t'] : [])] : ['-d']));
  args.push(image);
  if (o.cmd) args.push('/bin/sh', '-c', o.cmd);
  else if (o.interactive) args.push('/bin/sh');
  else if (typeof i.cmd === 'string') args.push('/bin/sh', '-c', i.cmd);
  else if (Array.isArray(i.cmd)) args.push(...i.cmd);
  else if (i.args.length) args.push(...i.args);
  return args;
}

/** Words joined as a POSIX shell would read them back. */
export function shellWords(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function inherit(args: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', () => done(127));
    child.once('exit', (code) => done(code ?? 1));
  });
}

function docker(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr }),
    ),
  );
}

async function dockerOk(args: string[]): Promise<boolean> {
  return (await docker(args)).code === 0;
}

function freeLocalPort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** Calls onSignal with the exit code of Ctrl-C (130) or SIGTERM (143) instead of dying; returns the function that unhooks it. */
function onStopSignals(onSignal: (code: number, signal: NodeJS.Signals) => void): () => void {
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGINT', () => onSignal(EXIT.interrupted, 'SIGINT')],
    ['SIGTERM', () => onSignal(143, 'SIGTERM')],
  ];
  for (const [sig, h] of handlers) process.on(sig, h);
  return () => handlers.forEach(([sig, h]) => process.off(sig, h));
}

/** -I: the container on this terminal (`docker run --rm -it`); docker removes it when it exits. */
async function runInteractive(run: string[], name: string, io: Output): Promise<number> {
  io.err(`running ${name} interactively (exit the shell to stop it)`);
  const child = spawn('docker', run, { stdio: 'inherit' });
  // The terminal sends Ctrl-C to the container through docker (a shell keeps running); a SIGTERM to us removes it.
  const unhook = onStopSignals((_code, signal) => (signal === 'SIGTERM' ? void docker(['rm', '-f', name]) : undefined));
  try {
    return await new Promise<number>((done) => {
      child.once('error', () => done(127));
      child.once('exit', (code) => done(code ?? 1));
    });
  } finally {
    unhook();
    await docker(['rm', '-f', name]);
  }
}

/** The container detached, its output streamed, its health check simulated; removed at the end. */
async function runDetached(run: string[], name: string, i: CompiledInstance, hostPort: number, o: LocalRunOptions, io: Output): Promise<number> {
  const started = await docker(run, 120_000);
  if (started.code !== 0) {
    io.err(`docker run failed: ${started.stderr.trim()}`);
    await docker(['rm', '-f', name]);
    return EXIT.failure;
  }
  const id = started.stdout.trim();
  io.err(`container ${name} (${id.slice(0, 12)}) runs; port ${i.containerPort} is 127.0.0.1:${hostPort}`);
  let interrupted: number | undefined;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (wake = r));
  const unhook = onStopSignals((code) => {
    interrupted ??= code;
    wake();
  });
  const logs = streamLogs(id, io);
  try {
    if (o.healthcheck !== false) {
      const passed = await Promise.race([simulateHealthcheck(i, id, hostPort, io, () => interrupted !== undefined), stopped.then(() => false)]);
      if (interrupted !== undefined) return interrupted;
      if (o.healthcheckOnly) return passed ? EXIT.ok : EXIT.failure;
      if (!passed) io.err('the health check failed: a scheduler would replace this container; it keeps running here (Ctrl-C stops it)');
    } else if (o.healthcheckOnly) {
      io.err('--healthcheck-only with --no-healthcheck: nothing to check');
      return EXIT.usage;
    }
    const waited = docker(['wait', id], 2 ** 31 - 1).then((r) => Number(r.stdout.trim()));
    const code = await Promise.race([waited, stopped.then(() => undefined)]);
    if (interrupted !== undefined) return interrupted;
    // The log stream ends by itself once the container stopped: its last lines first.
    await Promise.race([new Promise((r) => logs.once('exit', r)), new Promise((r) => setTimeout(r, 2_000))]);
    io.err(`container ${name} exited with code ${code}`);
    return code ?? EXIT.failure;
  } finally {
    unhook();
    await docker(['rm', '-f', id]);
    logs.kill();
  }
}

function streamLogs(id: string, io: Output): ChildProcess {
  const child = spawn('docker', ['logs', '-f', id], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = (write: (l: string) => void) => {
    let partial = '';
    return (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) write(p);
    };
  };
  child.stdout!.on(
    'data',
    lines((l) => io.out(l)),
  );
  child.stderr!.on(
    'data',
    lines((l) => io.err(l)),
  );
  child.once('error', () => undefined);
  return child;
}

/**
 * PaaSTA's simulated health check: checks every interval until one passes; failures within the
 * grace period are shown and not counted, after it max_consecutive_failures of them fail it;
 * so does the container exiting. http/https/tcp are monitor-bridge's own check (libs/platform
 * checkOnce); cmd runs in the container (`docker exec`).
 */
async function simulateHealthcheck(i: CompiledInstance, id: string, hostPort: number, io: Output, stop: () => boolean): Promise<boolean> {
  const hc = i.healthcheck;
  const target = hc.mode === 'cmd' ? `cmd ${hc.cmd ?? ''}` : hc.mode === 'tcp' ? `tcp 127.0.0.1:${hostPort}` : `${hc.mode}://127.0.0.1:${hostPort}${hc.uri}`;
  if (hc.mode === 'none') {
    const state = await docker(['inspect', '-f', '{{.State.Running}}', id]);
    io.err(`no health check (healthcheck_mode none, not in the mesh): healthy while it runs${state.stdout.trim() === 'true' ? '' : ', and it does not run'}`);
    return state.stdout.trim() === 'true';
  }
  io.err(
    `health check ${target}: every ${hc.intervalSeconds}s, timeout ${hc.timeoutSeconds}s, failures ignored for ${hc.gracePeriodSeconds}s, then ${hc.maxConsecutiveFailures} in a row fail it`,
  );
  // Loaded here: the rest of the CLI does not need the platform library.
  const { checkOnce } = await import('@orzo/platform');
  const graceEnd = Date.now() + hc.gracePeriodSeconds * 1000;
  let failures = 0;
  while (!stop()) {
    const state = await docker(['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', id]);
    const [running, exitCode] = state.stdout.trim().split(' ');
    if (running !== 'true') {
      io.err(`health check failed: the container exited with code ${exitCode ?? '?'}`);
      return false;
    }
    const result =
      hc.mode === 'cmd'
        ? await docker(['exec', id, '/bin/sh', '-c', hc.cmd ?? 'true'], Math.max(1, hc.timeoutSeconds) * 1000).then((r) => ({
            ok: r.code === 0,
            output: `${(r.stdout + r.stderr).trim().slice(0, 200)} (exit ${r.code})`,
          }))
        : await checkOnce(
            {
              mode: hc.mode,
              uri: hc.uri,
              cmd: hc.cmd ?? '',
              gracePeriodSeconds: hc.gracePeriodSeconds,
              intervalSeconds: hc.intervalSeconds,
              timeoutSeconds: hc.timeoutSeconds,
              maxConsecutiveFailures: hc.maxConsecutiveFailures,
              headers: hc.headers ?? {},
            },
            '127.0.0.1',
            hostPort,
          );
    if (result.ok) {
      io.err(`health check passed: ${result.output}`);
      return true;
    }
    if (Date.now() < graceEnd) io.err(`health check failed (ignored: within the grace period): ${result.output}`);
    else {
      failures++;
      io.err(`health check failed (${failures} of ${hc.maxConsecutiveFailures}): ${result.output}`);
      if (failures >= hc.maxConsecutiveFailures) return false;
    }
    await new Promise((r) => setTimeout(r, hc.intervalSeconds * 1000));
  }
  return false;
}
