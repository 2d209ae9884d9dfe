import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledInstance } from '@orzo/soa-config';
import { dockerRunArgs, shellWords } from './local-run';

const instance = {
  service: 'hello',
  instance: 'main',
  cluster: 'local',
  cpus: 0.25,
  memMb: 128,
  containerPort: 8080,
  env: { PAASTA_SERVICE: 'hello', ORZO_PORT: '8080', GREETING: 'hi there' },
  cmd: 'exec httpd -f -p "$ORZO_PORT"',
  args: [],
} as unknown as CompiledInstance;

describe('orzo local-run: the docker run of an instance', () => {
  const run = (over: Partial<CompiledInstance> = {}, o: { cmd?: string; interactive?: boolean } = {}) =>
    dockerRunArgs({ ...instance, ...over }, 'services-hello:orzo-abc1234', 'abc1234', { name: 'n', hostPort: 4000, interactive: false, ...o });

  it("has the replica's env plus the version's, its limits, init, its port on loopback, and its labels but never orzo.managed", () => {
    const args = run();
    const joined = args.join(' ');
    for (const part of [
      '--cpus 0.25',
      '--memory 128m',
      '--init',
      '--publish 127.0.0.1:4000:8080',
      '-e PAASTA_SERVICE=hello',
      '-e GREETING=hi there',
      '-e ORZO_DOCKER_IMAGE=services-hello:orzo-abc1234',
      '-e PAASTA_GIT_SHA=abc1234',
      '--label orzo.local_run=true',
      '-d services-hello:orzo-abc1234 /bin/sh -c exec httpd',
    ])
      assert.ok(joined.includes(part), `${part} in ${joined}`);
    assert.ok(!joined.includes('orzo.managed'));
  });

  it('--cmd replaces the command; a list cmd is exec-ed; args without cmd; interactive defaults to a shell with --rm -i', () => {
    assert.deepEqual(run({}, { cmd: 'echo hi' }).slice(-3), ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(run({ cmd: ['httpd', '-f'] }).slice(-2), ['httpd', '-f']);
    assert.deepEqual(run({ cmd: undefined, args: ['--verbose'] }).slice(-2), ['services-hello:orzo-abc1234', '--verbose']);
    const i = run({}, { interactive: true });
    assert.ok(i.includes('--rm') && i.includes('-i') && !i.includes('-d'));
    assert.equal(i[i.length - 1], '/bin/sh');
  });

  it('prints commands a shell reads back to the same words', () => {
    assert.equal(shellWords(['docker', 'run', '-e', 'A=b c', "it's", '127.0.0.1:1:2']), "docker run -e 'A=b c' 'it'\\''s' 127.0.0.1:1:2");
  });
});
