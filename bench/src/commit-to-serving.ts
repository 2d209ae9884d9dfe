// bench/commit-to-serving: the time from a Jenkins notification for a new commit to that
// commit's version answering through HAProxy (webhook -> build -> pipeline mark -> crossover
// -> discovery), next to doing the same by hand in the same run: `git archive | docker build`
// of a commit, a container of the image, until it answers HTTP. Every commit serves its own
// version, so neither side gets a cached RUN step the other paid for.
// Usage: node bench/dist/src/commit-to-serving.js [rounds=3]   (needs Docker, HAProxy; port 20021 free)
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { connectNats } from '@orzo/bus';
import { decodeEvent } from '@orzo/contracts';
import { GitRepo, REPO_ROOT, createGitRepo, ensureBusyboxBase, httpGet, loadTestcontainers, startHttpContainer, startPlatform, waitFor } from '@orzo/testing';
import { recordFigure } from './figures';

const PROXY = 20021;
const TOKEN = 'bench-jenkins-token';
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dockerfile = (version: string) =>
  readFileSync(join(REPO_ROOT, 'examples', 'services', 'hello', 'Dockerfile'), 'utf8').replace('ARG VERSION=dev', `ARG VERSION=${version}`);

function soaConfigs(repo: GitRepo): string {
  const soa = mkdtempSync(join(tmpdir(), 'orzo-bench-soa-'));
  const dir = join(soa, 'benchsvc');
  mkdirSync(dir);
  writeFileSync(join(dir, 'service.yaml'), `git_url: ${repo.dir}\n`);
  writeFileSync(join(dir, 'deploy.yaml'), 'pipeline:\n  - step: local.main\n');
  writeFileSync(
    join(dir, 'kubernetes-local.yaml'),
    'main:\n  instances: 1\n  cpus: 0.1\n  mem: 64\n  container_port: 8080\n  healthcheck_interval_seconds: 1\n  registrations: [benchsvc.main]\n  drain_method_params: {delay: 1}\n',
  );
  writeFileSync(join(dir, 'smartstack.yaml'), `main:\n  proxy_port: ${PROXY}\n  mode: http\n  healthcheck_uri: /status\n`);
  writeFileSync(join(dir, 'monitoring.yaml'), 'team: bench\n');
  return soa;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const docker = new Docker();
  await ensureBusyboxBase(docker);
  const repo = createGitRepo('orzo-bench-repo-');
  const removeAll = async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: ['orzo.service=benchsvc'] } }))
      await docker.getContainer(c.Id).remove({ force: true });
  };
  await removeAll();

  // By hand: the physical floor of the same work on the same engine (the container through the
  // Docker API, testcontainers, polled every 5 ms; its one-time setup is untimed).
  await loadTestcontainers();
  const byHand: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const sha = repo.commit({ Dockerfile: dockerfile(`hand-${i}-${Date.now()}`) }, `hand ${i}`);
    const t = performance.now();
    execSync(`git -C ${repo.dir} archive --format=tar ${sha} | docker build -q -t bench-by-hand:${sha} - >/dev/null`, { stdio: ['ignore', 'ignore', 'pipe'] });
    const c = await startHttpContainer(`bench-by-hand:${sha}`, { port: 8080, path: '/status', labels: { 'orzo.service': 'benchsvc' }, timeoutMs: 60_000 });
    byHand.push((performance.now() - t) / 1000);
    await c.stop();
    await docker
      .getImage(`bench-by-hand:${sha}`)
      .remove()
      .catch(() => undefined);
  }

  const platform = await startPlatform({ ORZO_SOA_DIR: soaConfigs(repo), ORZO_JENKINS_TOKEN: TOKEN });
  const viaOrzo: number[] = [];
  // Where each round's time went: every event about the service, by its own occurredAt.
  const nc = await connectNats(platform.nats.url, 'bench-commit');
  const events: Array<{ subject: string; at: number }> = [];
  const sub = nc.subscribe('orzo.>');
  void (async () => {
    for await (const m of sub) {
      const d = decodeEvent(m.subject, m.data);
      if (d.ok && JSON.stringify(d.event.payload).includes('benchsvc')) events.push({ subject: m.subject, at: Date.parse(d.event.envelope.occurredAt) });
    }
  })();
  const timelines: string[] = [];
  const built: string[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const version = `orzo-${i}-${Date.now()}`;
      const sha = repo.commit({ Dockerfile: dockerfile(version) }, `orzo ${i}`);
      built.push(sha);
      const t = performance.now();
      const t0 = Date.now();
      const seen = events.length;
      const res = await fetch(`http://127.0.0.1:${platform.port('jenkins-hook')}/v1/jenkins/notification?token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'benchsvc', build: { number: i + 1, phase: 'FINALIZED', status: 'SUCCESS', scm: { url: repo.dir, commit: sha } } }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      await waitFor(async () => (await httpGet(`http://127.0.0.1:${PROXY}/version`, 1000).catch(() => undefined))?.body.trim() === version, {
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
    }
  } finally {
    sub.unsubscribe();
    await nc.close().catch(() => undefined);
    await platform.stop();
    await removeAll();
    for (const sha of built)
      await docker
        .getImage(`services-benchsvc:orzo-${sha}`)
        .remove()
        .catch(() => undefined);
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
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
