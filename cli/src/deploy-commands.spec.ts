import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from './main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe('orzo rollback, stop, start, wait-for-deployment: usage', () => {
  it("refuses a missing or bad option with exit 2 and the verb's usage, calling nothing", async () => {
    const cases: Array<[string[], RegExp]> = [
      [['rollback', '-s', 'hello'], /rollback needs -s <service> -l <deploy_group>/],
      [['stop', '-s', 'hello', '-c', 'local'], /stop needs -s <service> -c <cluster> -i <instance>/],
      [['start', '-i', 'main'], /start needs -s <service> -c <cluster> -i <instance>/],
      [['wait-for-deployment', '-s', 'hello', '-l', 'local.main'], /wait-for-deployment needs -s <service> -l <deploy_group> -c <sha>/],
      [['wait-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', 'zzz'], /-c zzz is not a hex git sha/],
      [['wait-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', 'abcdef0', '-t', 'soon'], /--timeout soon is not a number of seconds/],
      [['rollback', '-s', 'hello', '-l', 'x', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      assert.equal(await main(argv, c.io), 2, argv.join(' '));
      assert.match(c.err.join('\n'), message);
    }
  });

  it("documents PaaSTA's flags in each verb's help", async () => {
    const flags: Record<string, string[]> = {
      rollback: ['-s, --service <service>', '-l, --deploy-group <deploy_group>', '-k, --commit <sha>'],
      stop: ['-c, --cluster <cluster>', '-i, --instance <instance>'],
      'wait-for-deployment': ['-c, --commit <sha>', '-t, --timeout <seconds>'],
      'mark-for-deployment': ['--auto-rollback'],
    };
    for (const [verb, expected] of Object.entries(flags)) {
      const c = capture();
      assert.equal(await main([verb, '--help'], c.io), 0);
      for (const flag of expected) assert.ok(c.out.join('\n').includes(flag), `${verb} ${flag}`);
    }
  });
});
