import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileInstance } from './compile';
import { LoadedService } from './load';
import { loadSystemConfig } from './system-config';

/** The env as compileInstance first built it: own strings, PAASTA_/ORZO_ of each injected entry, MESH_REGISTRATIONS, stably sorted, Object.fromEntries. */
function reference(own: Record<string, unknown>, injected: Record<string, string>, mesh: string): Record<string, string> {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(own)) if (typeof v === 'string') pairs.push([k, v]);
  for (const [k, v] of Object.entries(injected)) pairs.push([`PAASTA_${k}`, v], [`ORZO_${k}`, v]);
  pairs.push(['MESH_REGISTRATIONS', mesh]);
  return Object.fromEntries(pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

describe('the env of a compiled instance', () => {
  it('is the stably sorted pairs of its own and injected variables, the injected ones winning, names and order as before', () => {
    const system = loadSystemConfig({ env: {}, cwd: __dirname }).config;
    const names = ['A', 'ZED', 'lower', '_x', '10', '9', '__proto__', 'PAASTA_SERVICE', 'ORZO_PORT', 'MESH_REGISTRATIONS', 'ORZO_a', 'PAASTA_Z', 'É'];
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.string({ maxLength: 3 }), fc.integer())),
        fc.option(fc.constantFrom('ops', ''), { nil: undefined }),
        (env, team) => {
          const own: Record<string, unknown> = {
            env: JSON.parse(JSON.stringify(env)) as unknown,
            cpus: 2,
            ...(team !== undefined ? { monitoring: { team } } : {}),
          };
          const svc: LoadedService = { name: 'svc', dir: '/t/svc', longRunning: [], jobs: [], adhoc: [], rollback: [] };
          const f = {
            kind: 'long-running' as const,
            path: '/t/svc/kubernetes-c.yaml',
            cluster: 'c',
            flavor: 'kubernetes',
            src: { file: '', data: {}, problems: [], locate: () => ({ line: 0, column: 0 }) },
          };
          const compiled = compileInstance(svc, f, 'main', own, new Map(), system);
          const injected: Record<string, string> = {
            SERVICE: 'svc',
            INSTANCE: 'main',
            CLUSTER: 'c',
            DEPLOY_GROUP: 'c.main',
            PORT: '8888',
            RESOURCE_CPUS: '2',
            RESOURCE_MEM: '4096',
            RESOURCE_DISK: '1024',
            ...(team ? { MONITORING_TEAM: team } : {}),
          };
          const expected = reference(own.env as Record<string, unknown>, injected, '');
          assert.deepEqual(Object.entries(compiled.env), Object.entries(expected));
          assert.equal(Object.getPrototypeOf(compiled.env), Object.prototype);
        },
      ),
      { numRuns: 300 },
    );
  });
});
