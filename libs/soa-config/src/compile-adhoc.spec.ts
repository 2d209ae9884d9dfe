import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSoaConfigs } from './soa-configs';
import { loadSystemConfig } from './system-config';

describe('adhoc-<cluster>.yaml compiled (orzo remote-run, local-run)', () => {
  it('compiles each adhoc instance like a long-running one: cmd, env with PAASTA_*/ORZO_*, resources, deploy group', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orzo-adhoc-'));
    try {
      mkdirSync(join(dir, 'svc'));
      writeFileSync(join(dir, 'svc', 'service.yaml'), 'description: x\n');
      writeFileSync(join(dir, 'svc', 'deploy.yaml'), 'pipeline:\n  - step: local.main\n');
      writeFileSync(join(dir, 'svc', 'monitoring.yaml'), 'team: ops\n');
      writeFileSync(
        join(dir, 'svc', 'adhoc-local.yaml'),
        'report:\n  cpus: 0.2\n  mem: 64\n  deploy_group: local.main\n  cmd: echo hi\n  env:\n    A: b\nlisted:\n  cmd: [echo, one]\n  deploy_group: local.main\n',
      );
      const r = loadSoaConfigs({ soaDir: dir, system: loadSystemConfig({ env: {}, cwd: dir }).config });
      assert.equal(r.errors, 0, JSON.stringify(r.problems));
      const svc = r.services.find((s) => s.name === 'svc')!;
      assert.deepEqual(svc.instances, []);
      const [listed, report] = [...svc.adhoc].sort((a, b) => a.instance.localeCompare(b.instance));
      assert.equal(report!.cluster, 'local');
      assert.equal(report!.cmd, 'echo hi');
      assert.equal(report!.cpus, 0.2);
      assert.equal(report!.memMb, 64);
      assert.equal(report!.deployGroup, 'local.main');
      assert.equal(report!.env.A, 'b');
      assert.equal(report!.env.PAASTA_INSTANCE, 'report');
      assert.equal(report!.env.ORZO_SERVICE, 'svc');
      assert.equal(report!.env.PAASTA_MONITORING_TEAM, 'ops');
      assert.deepEqual(listed!.cmd, ['echo', 'one']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
