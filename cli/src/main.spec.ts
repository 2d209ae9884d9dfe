import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from './main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) }, out, err };
}

describe('orzo CLI', () => {
  it('prints its version', async () => {
    const c = capture();
    assert.equal(await main(['--version'], c.io), 0);
    assert.match(c.out.join('\n'), /^orzo \d+\.\d+\.\d+$/);
  });

  it('prints help listing its commands', async () => {
    const c = capture();
    assert.equal(await main(['--help'], c.io), 0);
    for (const cmd of ['up', 'migrate', 'services']) assert.match(c.out.join('\n'), new RegExp(`\\n  ${cmd}\\s`));
  });

  it('exits 2 with a usage hint on an unknown command', async () => {
    const c = capture();
    assert.equal(await main(['deploy-everything'], c.io), 2);
    assert.match(c.err.join('\n'), /unknown command "deploy-everything".*orzo --help/);
  });

  it('exits 2 and shows help when given no command', async () => {
    const c = capture();
    assert.equal(await main([], c.io), 2);
    assert.match(c.out.join('\n'), /Usage: orzo <command>/);
  });

  it('lists the six services', async () => {
    const c = capture();
    assert.equal(await main(['services'], c.io), 0);
    assert.equal(c.out.length, 6);
  });

  it('explains the usage of the build and pipeline commands, exit 2, without calling anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['cook-image'], /cook-image needs -s <service>/],
      [['logs', '-s', 'hello'], /only build logs are served yet: add --build/],
      [['logs', '--build'], /logs needs -s <service>/],
      [['builds'], /builds needs -s <service>/],
      [['get-latest-deployment', '-s', 'hello'], /get-latest-deployment needs -s <service> -l <deploy_group>/],
      [['history'], /history needs -s <service>/],
      [['cook-image', '-s', 'hello', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      assert.equal(await main(argv, c.io), 2, argv.join(' '));
      assert.match(c.err.join('\n'), message);
    }
  });
});
