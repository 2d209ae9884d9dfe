import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { GitRepo, PlatformHandle, REPO_ROOT, createGitRepo, ensureBusyboxBase, httpGet, startPlatform, waitFor } from '@orzo/testing';

const PROXY = 20011;
const TOKEN = 'e2e-jenkins-token';

/** The example service's Dockerfile with the version a commit serves baked in. */
const dockerfileServing = (version: string) =>
  readFileSync(join(REPO_ROOT, 'examples', 'services', 'hello', 'Dockerfile'), 'utf8').replace('ARG VERSION=dev', `ARG VERSION=${version}`);

function writeSoaConfigs(repo: string): string {
  const soa = mkdtempSync(join(tmpdir(), 'orzo-soa-'));
  const dir = join(soa, 'shop');
  mkdirSync(dir);
  const files: Record<string, string> = {
    'service.yaml': `description: the build pipeline e2e service\ngit_url: ${repo}\n`,
    'deploy.yaml':
      'pipeline:\n  - step: itest\n    command: test -f Dockerfile\n  - step: local.canary\n    trigger_next_step_manually: true\n  - step: local.main\n',
    'kubernetes-local.yaml': [
      '_defaults: &defaults',
      '  cpus: 0.1',
      '  mem: 64',
      '  container_port: 8080',
      '  healthcheck_interval_seconds: 1',
      '  registrations: [shop.main]',
      '  drain_method_params: {delay: 1}',
      'canary:',
      '  <<: *defaults',
      '  instances: 1',
      '  deploy_group: local.canary',
      'main:',
      '  <<: *defaults',
      '  instances: 2',
      '  deploy_group: local.main',
      '',
    ].join('\n'),
    'smartstack.yaml': `main:\n  proxy_port: ${PROXY}\n  mode: http\n  healthcheck_uri: /status\n`,
    'monitoring.yaml': 'team: e2e\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return soa;
}

interface History {
  entries: Array<{ kind: string; deployGroup: string; gitSha: string; detail: string }>;
}

describe('build pipeline: a Jenkins notification to a version serving through HAProxy, promoted through deploy.yaml', () => {
  const docker = new Docker();
  let repo: GitRepo;
  let platform: PlatformHandle;
  const shopContainers = async () =>
    (await docker.listContainers({ filters: { label: ['orzo.managed=true', 'orzo.service=shop'] } })).map((c) => ({
      id: c.Id,
      instance: c.Labels['orzo.instance'],
      sha: c.Labels['orzo.git_sha'],
    }));
  const version = async () => (await httpGet(`http://127.0.0.1:${PROXY}/version`)).body.trim();
  const notify = async (number: number, sha: string) => {
    const res = await fetch(`http://127.0.0.1:${platform.port('jenkins-hook')}/v1/jenkins/notification?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json;charset=UTF-8' },
      body: JSON.stringify({
        name: 'services-shop',
        url: 'job/services-shop/',
        build: {
          number,
          phase: 'FINALIZED',
          status: 'SUCCESS',
          url: `job/services-shop/${number}/`,
          scm: { url: repo.dir, branch: 'origin/main', commit: sha },
        },
      }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const history = (): History => {
    const r = platform.cli(['history', '-s', 'shop', '--json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as History;
  };
  const latest = (group: string) => platform.cli(['get-latest-deployment', '-s', 'shop', '-l', group]);

  before(async () => {
    for (const c of await shopContainers()) await docker.getContainer(c.id).remove({ force: true });
    await ensureBusyboxBase(docker);
    repo = createGitRepo();
    platform = await startPlatform({ ORZO_SOA_DIR: writeSoaConfigs(repo.dir), ORZO_JENKINS_TOKEN: TOKEN });
  });
  after(async () => {
    await platform?.stop();
    for (const c of await shopContainers()) await docker.getContainer(c.id).remove({ force: true });
  });

  it('builds the commit Jenkins reports, deploys it to the first deploy group, and serves it through HAProxy', async () => {
    const sha = repo.commit({ Dockerfile: dockerfileServing('one') }, 'version one');
    const res = await notify(1, sha);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.action, 'build-requested');
    await waitFor(async () => (await version().catch(() => '')) === 'one', {
      timeoutMs: 180_000,
      intervalMs: 250,
      what: `version one through 127.0.0.1:${PROXY}\n${platform.output().slice(-4000)}`,
    });
    const cs = await shopContainers();
    assert.deepEqual(
      cs.map((c) => [c.instance, c.sha]),
      [['canary', sha]],
      'only the first deploy group runs it',
    );

    const log = platform.cli(['logs', '-s', 'shop', '--build']);
    assert.equal(log.status, 0, log.stderr);
    assert.match(log.stdout, /Step 1\/\d+ : FROM orzo\/busybox:1/);
    assert.match(log.stdout, /step itest: test -f Dockerfile/);
    assert.match(log.stdout, /\(build succeeded: built services-shop:orzo-[0-9a-f]{40}\)/);

    const canary = latest('local.canary');
    assert.equal(canary.status, 0, canary.stderr);
    assert.match(canary.stdout, new RegExp(`^${sha}  services-shop:orzo-${sha}`));
    const main = latest('local.main');
    assert.equal(main.status, 1);
    assert.match(main.stderr, /NOT_FOUND: shop deploy group local.main was never marked/);

    const h = await waitFor(() => history().entries.find((e) => e.kind === 'wait' && e.gitSha === sha) && history(), {
      timeoutMs: 30_000,
      what: 'the pipeline to wait at the manual step',
    });
    const kinds = h.entries
      .filter((e) => e.gitSha === sha)
      .map((e) => `${e.kind}:${e.deployGroup ?? ''}`)
      .reverse();
    assert.deepEqual(kinds, ['build:', 'skip:itest', 'promote:local.canary', 'wait:local.main']);

    const again = await notify(1, sha);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
  });

  it('a second commit stops at the manual step until it is promoted with mark-for-deployment', async () => {
    const first = (await shopContainers())[0]!.sha!;
    const promoteFirst = platform.cli(['mark-for-deployment', '-s', 'shop', '-l', 'local.main', '-c', first, '--wait', '--timeout', '120'], 150_000);
    assert.equal(promoteFirst.status, 0, promoteFirst.stderr + promoteFirst.stdout);

    const sha = repo.commit({ Dockerfile: dockerfileServing('two') }, 'version two');
    assert.equal((await notify(2, sha)).status, 202);
    await waitFor(() => history().entries.some((e) => e.kind === 'wait' && e.gitSha === sha), {
      timeoutMs: 180_000,
      intervalMs: 500,
      what: `the second commit to reach the manual step\n${platform.output().slice(-4000)}`,
    });
    const running = await shopContainers();
    assert.deepEqual(
      running.filter((c) => c.instance === 'canary').map((c) => c.sha),
      [sha],
      'the canary runs the new commit',
    );
    assert.deepEqual(
      running.filter((c) => c.instance === 'main').map((c) => c.sha),
      [first, first],
      'main still runs the promoted one',
    );
    assert.match(latest('local.main').stdout, new RegExp(`^${first}`));
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(await version());
    assert.deepEqual([...seen].sort(), ['one', 'two'], 'HAProxy serves both: the canary and main');

    const promote = platform.cli(['mark-for-deployment', '-s', 'shop', '-l', 'local.main', '-c', sha, '--wait', '--timeout', '120'], 150_000);
    assert.equal(promote.status, 0, promote.stderr + promote.stdout);
    await waitFor(async () => (await shopContainers()).every((c) => c.sha === sha) && (await shopContainers()).length === 3, {
      timeoutMs: 60_000,
      what: 'only the second commit running',
    });
    for (let i = 0; i < 6; i++) assert.equal(await version(), 'two');
    assert.ok(
      history().entries.some((e) => e.kind === 'mark' && e.deployGroup === 'local.main' && e.gitSha === sha),
      'the manual promotion is in the history',
    );
  });

  it("orzo cook-image builds the checkout's commit with its log live, and reports a failing step", async () => {
    const sha = repo.commit({ Dockerfile: dockerfileServing('three') }, 'version three');
    const ok = platform.cli(['cook-image', '-s', 'shop'], 180_000, repo.dir);
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, new RegExp(`Building services-shop:orzo-${sha} \\(build [0-9a-f-]{36}\\)`));
    assert.match(ok.stdout, /Step 3\/\d+ : RUN mkdir -p \/www/);
    assert.match(ok.stdout, new RegExp(`Built services-shop:orzo-${sha} in [0-9.]+s`));
    assert.ok((await docker.getImage(`services-shop:orzo-${sha}`).inspect()).Id);
    assert.ok(
      history().entries.some((e) => e.kind === 'build' && e.gitSha === sha && /build only/.test(e.detail)),
      'cook-image does not start the pipeline',
    );
    assert.ok(!(await shopContainers()).some((c) => c.sha === sha), 'nothing deploys a cooked image');

    repo.commit({ Dockerfile: 'FROM orzo/busybox:1\nRUN echo cannot build this && false\n' }, 'broken');
    const bad = platform.cli(['cook-image', '-s', 'shop'], 180_000, repo.dir);
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stdout, /cannot build this/);
    assert.match(
      bad.stderr,
      /Build failed after [0-9.]+s: failed at Step 2\/\d+ : RUN echo cannot build this && false: The command .* returned a non-zero code: 1/,
    );
    const builds = await waitFor(
      () => {
        const r = platform.cli(['builds', '-s', 'shop']);
        return r.stdout.includes('failed') ? r : undefined;
      },
      { what: 'the failed build in orzo builds' },
    );
    assert.equal(builds.status, 0, builds.stderr);
    assert.match(builds.stdout.split('\n')[0]!, /failed +Step 2\/\d+ : RUN echo cannot build this/);
  });
});
