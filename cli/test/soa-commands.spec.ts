import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../src/main';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orzo-cli-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const examples = join(__dirname, '..', '..', '..', 'examples', 'soa-configs');
process.env.ORZO_CLUSTERS = 'local';

describe('orzo validate / list / info', () => {
  it('exits 0 on a clean tree and says what it checked', async () => {
    const r = await run('validate', '-y', examples);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /valid: 1 service\(s\), 1 instance\(s\)/);
  });

  it('exits 1 listing every error with file:line:column, and --json carries them', async () => {
    const dir = tree({
      'web/deploy.yaml': 'pipeline:\n- step: local.main\n',
      'web/monitoring.yaml': 'team: t\n',
      'web/kubernetes-local.yaml': 'main:\n  instnaces: 3\n  cpus: lots\n',
    });
    const r = await run('validate', '-y', dir);
    assert.equal(r.code, 1);
    assert.match(r.err, /web\/kubernetes-local.yaml:2:3: error: main.instnaces: unknown key instnaces \(found instnaces\); did you mean instances\?/);
    assert.match(r.err, /web\/kubernetes-local.yaml:3:3: error: main.cpus: wrong type or value \(expected a number, found "lots"\)/);
    assert.match(r.err, /2 error\(s\)/);
    const j = await run('validate', '-y', dir, '--json');
    assert.equal(j.code, 1);
    const parsed = JSON.parse(j.out) as { ok: boolean; errors: number; problems: Array<{ line: number; path: string }> };
    assert.equal(parsed.ok, false);
    assert.deepEqual(
      parsed.problems.map((p) => [p.line, p.path]),
      [
        [2, 'main.instnaces'],
        [3, 'main.cpus'],
      ],
    );
  });

  it('uses the orzo.yaml at the root of the tree, and notes (never fails) a cluster it does not run', async () => {
    const paastaValid = {
      'svc/deploy.yaml': 'pipeline:\n  - step: fake_deploy_group\n',
      'svc/kubernetes-test-cluster.yaml': 'main2:\n  cpus: .1\n  mem: 100\n  disk: 200.0\n  deploy_group: fake_deploy_group\n  monitoring: {team: t}\n',
    };
    const saved = process.env.ORZO_CLUSTERS;
    delete process.env.ORZO_CLUSTERS;
    try {
      const bare = await run('validate', '-y', tree(paastaValid));
      assert.equal(bare.code, 0, bare.err);
      assert.match(bare.out, /kubernetes-test-cluster.yaml: info: cluster test-cluster is not one this Orzo runs \(local\)/);
      assert.match(bare.out, /valid: 1 service\(s\), 1 instance\(s\) and job\(s\), 1 note\(s\)/);
      const withConfig = await run('validate', '-y', tree({ ...paastaValid, 'orzo.yaml': 'clusters:\n  test-cluster: {engine: docker}\n' }));
      assert.equal(withConfig.code, 0, withConfig.err);
      assert.doesNotMatch(withConfig.out, /info:/);
      const bad = await run('validate', '-y', tree({ ...paastaValid, 'orzo.yaml': 'clusters:\n  test-cluster: {engine: nomad}\n' }));
      assert.equal(bad.code, 1);
      assert.match(bad.err, /orzo.yaml.*clusters.test-cluster.engine: unknown engine/);
    } finally {
      process.env.ORZO_CLUSTERS = saved;
    }
  });

  it('exits 2 on bad usage', async () => {
    assert.equal((await run('validate', '--frobnicate')).code, 2);
    assert.equal((await run('info', '-y', examples)).code, 2);
  });

  it('validates one service with -s and names an unknown one', async () => {
    assert.equal((await run('validate', '-y', examples, '-s', 'hello')).code, 0);
    const r = await run('validate', '-y', examples, '-s', 'helo');
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown service helo.*did you mean hello\?/);
  });

  it('lists services and shows one with its instances, deploy groups, endpoints and team', async () => {
    assert.equal((await run('list', '-y', examples)).out, 'hello');
    const r = await run('info', '-s', 'hello', '-y', examples);
    assert.equal(r.code, 0, r.err);
    for (const line of [
      'Monitored by: team operations',
      'Deploy pipeline: local.main',
      'Cluster local:',
      '  main: 3 x 0.1 cpu 64 MB, deploy group local.main',
      '  hello.main: http://127.0.0.1:20001/',
    ])
      assert.ok(r.out.includes(line), `${line}\nin\n${r.out}`);
  });
});
