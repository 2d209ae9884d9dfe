// bench/commit-to-serving: the time from a Jenkins notification for a new commit to that
// commit's version answering through HAProxy (webhook -> build -> pipeline mark -> crossover
// -> discovery), next to doing the same by hand in the same run: `git archive | docker build`
// of a commit, a container of the image, until it answers HTTP. Every commit serves its own
// version, so neither side gets a cached RUN step the other paid for. Each round measures the
// by-hand floor, then Orzo. It prints each round's events and the builder's build log lines,
// each by its own time.
// Usage: node bench/dist/src/commit-to-serving.js [rounds=3]   (needs Docker, HAProxy)
// It runs on a service of its own (`commitbench-<random>`, on a free proxy port) and removes only
// the containers and images it made, so it can run beside other benches and tests on one engine.
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { connectNats } from '@orzo/bus';
import { decodeEvent } from '@orzo/contracts';
import { BuildLogLine, BuildLogs } from '@orzo/contracts';
import {
  GitRepo,
  REPO_ROOT,
  createGitRepo,
  ensureBusyboxBase,
  freePort,
  httpGet,
  loadTestcontainers,
  startHttpContainer,
  startPlatform,
  waitFor,
} from '@orzo/testing';
import { recordFigure } from './figures';

const SERVICE = `commitbench-${Math.random().toString(36).slice(2, 8)}`;
const TOKEN = 'bench-jenkins-token';
/** The by-hand containers' label: not `orzo.service`, which the platform running beside them reads. */
const HAND_LABEL = 'orzo-bench.by-hand';
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dockerfile = (version: string) =>
  readFileSync(join(REPO_ROOT, 'examples', 'services', 'hello', 'Dockerfile'), 'utf8').replace('ARG VERSION=dev', `ARG VERSION=${version}`);

function soaConfigs(repo: GitRepo, proxyPort: number): { dir: string; proxyPort: number } {
  const soa = mkdtempSync(join(tmpdir(), 'orzo-bench-soa-'));
  const dir = join(soa, SERVICE);
  mkdirSync(dir);
  writeFileSync(join(dir, 'service.yaml'), `git_url: ${repo.dir}\n`);
  writeFileSync(join(dir, 'deploy.yaml'), 'pipeline:\n  - step: local.main\n');
  writeFileSync(
    join(dir, 'kubernetes-local.yaml'),
    `main:\n  instances: 1\n  cpus: 0.1\n  mem: 64\n  container_port: 8080\n  healthcheck_interval_seconds: 1\n  registrations: [${SERVICE}.main]\n  drain_method_params: {delay: 1}\n`,
  );
  writeFileSync(join(dir, 'smartstack.yaml'), `main:\n  proxy_port: ${proxyPort}\n  mode: http\n  healthcheck_uri: /status\n`);
  writeFileSync(join(dir, 'monitoring.yaml'), 'team: bench\n');
  return { dir: soa, proxyPort };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const docker = new Docker();
  await ensureBusyboxBase(docker);
  const repo = createGitRepo('orzo-bench-repo-');
  const soa = soaConfigs(repo, await freePort());
  const images: string[] = [];
  try {
    await measure(rounds, docker, repo, soa, images);
  } finally {
    // Only what this run made: its service's containers (by hand and Orzo's), images and files.
    for (const label of [`orzo.service=${SERVICE}`, `${HAND_LABEL}=${SERVICE}`])
      for (const c of await docker.listContainers({ all: true, filters: { label: [label] } }))
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    for (const image of images)
      await docker
        .getImage(image)
        .remove()
        .catch(() => undefined);
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(soa.dir, { recursive: true, force: true });
  }
}

/**
 * By hand: the physical floor of the same work on the same engine (the container through the
 * Docker API, testcontainers, polled every 5 ms; its one-time setup is untimed). Seconds.
 */
async function byHandRound(repo: GitRepo, i: number, images: string[]): Promise<number> {
  const sha = repo.commit({ Dockerfile: dockerfile(`hand-${i}-${Date.now()}`) }, `hand ${i}`);
  images.push(`${SERVICE}-by-hand:${sha}`);
  const t = performance.now();
  execSync(`git -C ${repo.dir} archive --format=tar ${sha} | docker build -q -t ${SERVICE}-by-hand:${sha} - >/dev/null`, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const c = await startHttpContainer(`${SERVICE}-by-hand:${sha}`, { port: 8080, path: '/status', labels: { [HAND_LABEL]: SERVICE }, timeoutMs: 60_000 });
  const took = (performance.now() - t) / 1000;
  await c.stop();
  return took;
}

async function measure(rounds: number, docker: Docker, repo: GitRepo, soa: { dir: string; proxyPort: number }, images: string[]): Promise<void> {
  await loadTestcontainers();
  const platform = await startPlatform({ ORZO_SOA_DIR: soa.dir, ORZO_JENKINS_TOKEN: TOKEN });
  // Each round measures the floor, then Orzo: the machine's load is about the same for both.
  const byHand: number[] = [];
  const viaOrzo: number[] = [];
  // Where each round's time went: every event about the service, by its own occurredAt.
  const nc = await connectNats(platform.nats.url, 'bench-commit');
  // And the builder's own split: its build log lines (ORZO_BUILD_LOG), each with its time.
  const events: Array<{ subject: string; at: number }> = [];
  const buildLog: Array<{ at: number; line: string }> = [];
  const logs = BuildLogs.serviceFilter(SERVICE).replace(/\*$/, '');
  const sub = nc.subscribe('orzo.>');
  void (async () => {
    for await (const m of sub) {
      if (m.subject.startsWith(logs)) {
        const l = JSON.parse(m.string()) as BuildLogLine;
        buildLog.push({ at: Date.parse(l.at), line: l.line });
        continue;
      }
      const d = decodeEvent(m.subject, m.data);
      if (d.ok && JSON.stringify(d.event.payload).includes(SERVICE)) events.push({ subject: m.subject, at: Date.parse(d.event.envelope.occurredAt) });
    }
  })();
  const timelines: string[] = [];
  const builds: string[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      byHand.push(await byHandRound(repo, i, images));
      const version = `orzo-${i}-${Date.now()}`;
      const sha = repo.commit({ Dockerfile: dockerfile(version) }, `orzo ${i}`);
      images.push(`services-${SERVICE}:orzo-${sha}`);
      const t = performance.now();
      const t0 = Date.now();
      const seen = events.length;
      const seenLines = buildLog.length;
      const res = await fetch(`http://127.0.0.1:${platform.port('jenkins-hook')}/v1/jenkins/notification?token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: SERVICE, build: { number: i + 1, phase: 'FINALIZED', status: 'SUCCESS', scm: { url: repo.dir, commit: sha } } }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      await waitFor(async () => (await httpGet(`http://127.0.0.1:${soa.proxyPort}/version`, 1000).catch(() => undefined))?.body.trim() === version, {
        intervalMs: 10,
        timeoutMs: 300_000,
        what: `${version} through HAProxy\n${platform.output().slice(-3000)}`,
      });
      viaOrzo.push((performance.now() - t) / 1000);
      const short = (subject: string) => subject.replace(/^orzo\./, '').replace(/\.v1$/, '');
      timelines.push(
        events
          .slice(seen)
          .filter((e) => e.at >= t0)
          .map((e) => `${short(e.subject)} +${e.at - t0}`)
          .join(', ') + `; serving +${Date.now() - t0} ms`,
      );
      builds.push(
        buildLog
          .slice(seenLines)
          .map((l) => `+${l.at - t0} ${l.line.length > 40 ? `${l.line.slice(0, 40)}...` : l.line}`)
          .join(' | '),
      );
    }
  } finally {
    sub.unsubscribe();
    await nc.close().catch(() => undefined);
    await platform.stop();
  }
  log(`commit-to-serving: busybox example Dockerfile, 1 replica, crossover, drain delay 1 s, node ${process.version}`);
  log(
    `  by hand: git archive | docker build + container start until HTTP (median of ${byHand.length})   ${median(byHand).toFixed(2)} s   [${byHand.map((d) => d.toFixed(2)).join(', ')}]`,
  );
  log(
    `  Orzo: Jenkins notification -> new version through HAProxy (median of ${viaOrzo.length})   ${median(viaOrzo).toFixed(2)} s   [${viaOrzo.map((d) => d.toFixed(2)).join(', ')}]`,
  );
  const ratio = median(viaOrzo) / median(byHand);
  recordFigure({
    bench: 'commit',
    measure: 'Jenkins notification -> new version serving (median)',
    value: median(viaOrzo),
    unit: 's',
    floor: { label: 'git archive | docker build + run by hand', value: median(byHand) },
    goal: 'ratio <= 1.2',
    met: ratio <= 1.2,
  });
  log(`  ratio Orzo / by hand: ${(median(viaOrzo) / median(byHand)).toFixed(2)}`);
  log('  events of each round, ms after the notification was sent (their own occurredAt):');
  for (const [i, line] of timelines.entries()) log(`    ${i + 1}: ${line}`);
  log("  build log of each round, ms after the notification was sent (the builder's time of each line):");
  for (const [i, line] of builds.entries()) log(`    ${i + 1}: ${line}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
