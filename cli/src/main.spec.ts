import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bashCompletion, zshCompletion } from './completion';
import { buildProgram, main } from './main';

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
      [['logs'], /logs needs -s <service>/],
      [['logs', '--build'], /logs needs -s <service>/],
      [['logs', '-s', 'hello', '-n', 'ten'], /-n ten is not a number of lines/],
      [['logs', '-s', 'hello', '--stream', 'stdin'], /--stream stdin is not stdout or stderr/],
      [['restart', '-s', 'hello'], /restart needs -s <service> -c <cluster> -i <instance>/],
      [['autoscale', '-s', 'hello', '-c', 'local'], /autoscale needs -s <service> -c <cluster> -i <instance>/],
      [['scale', '-s', 'hello', '-c', 'local', '-i', 'main', '--set', 'many'], /--set many is not a number of replicas/],
      [['autoscale', '-s', 'hello', '-c', 'local', '-i', 'main', '--set', '2', '--clear'], /give --set or --clear, not both/],
      [['autoscale', '-s', 'hello', '-c', 'local', '-i', 'main', '--for', '3h'], /--for needs --set/],
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

  it('shows help per verb with its options, and the exit codes in orzo --help', async () => {
    const c = capture();
    assert.equal(await main(['status', '--help'], c.io), 0);
    const help = c.out.join('\n');
    assert.match(help, /Usage: orzo status \[options\]/);
    for (const flag of ['-s, --service <service>', '-c, --cluster <cluster>', '--json', '--control-api <host:port>']) assert.ok(help.includes(flag), flag);
    const top = capture();
    assert.equal(await main(['--help'], top.io), 0);
    assert.match(top.out.join('\n'), /Exit codes:\n  0 .*\n  1 [^]*\n  2 +usage[^]*\n  130 /);
  });

  it('refuses an unknown verb or option with exit 2 and a did-you-mean', async () => {
    const cases: Array<[string[], string]> = [
      [['statsu'], 'orzo: unknown command "statsu" (did you mean status?). Run "orzo --help" for the list of commands.'],
      [['status', '-s', 'hello', '--bogus'], `orzo status: Unknown option '--bogus'. Run "orzo status --help".`],
      [['status', '--servce', 'hello'], `orzo status: Unknown option '--servce' (did you mean --service?). Run "orzo status --help".`],
      [['status', '-s'], `orzo status: Option '-s, --service <service>' argument missing. Run "orzo status --help".`],
      [['status', 'hello'], `orzo status: Too many arguments for 'status'. Expected 0 arguments but got 1. Run "orzo status --help".`],
      [
        ['completion', 'fish'],
        `orzo completion: Command-argument value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh. Run "orzo completion --help".`,
      ],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      assert.equal(await main(argv, c.io), 2, argv.join(' '));
      assert.deepEqual(c.err, [message]);
      assert.deepEqual(c.out, []);
    }
  });

  it('prints the services as one JSON document with --json', async () => {
    const c = capture();
    assert.equal(await main(['services', '--json'], c.io), 0);
    const services = JSON.parse(c.out.join('\n')) as Array<{ name: string; httpPort: number; runs: string }>;
    assert.equal(services.length, 6);
    assert.ok(services.some((s) => s.name === 'control-api' && s.httpPort === 7106));
    assert.deepEqual(
      services.filter((s) => s.runs === 'host').map((s) => s.name),
      ['discovery-publisher'],
    );
    assert.ok(services.every((s) => s.runs === 'host' || s.runs === 'cluster'));
  });

  it('says which service runs on every host and which once, and how to start one more host', async () => {
    const c = capture();
    assert.equal(await main(['services'], c.io), 0);
    assert.match(
      c.out.find((l) => l.startsWith('discovery-publisher'))!,
      /^discovery-publisher\s+:7104\s+every host\s+/,
    );
    assert.match(
      c.out.find((l) => l.startsWith('scheduler-bridge'))!,
      /^scheduler-bridge\s+:7103\s+once\s+/,
    );
    const help = capture();
    assert.equal(await main(['services', '--help'], help.io), 0);
    assert.match(help.out.join('\n'), /ORZO_DISCOVERY_REGISTRAR=false[\s\S]*orzo up --only discovery-publisher/);
  });

  it('refuses `up --only` with an unknown service, exit 2, starting nothing', async () => {
    const c = capture();
    assert.equal(await main(['up', '--only', 'discovery-publisher,haproxy'], c.io), 2);
    assert.match(c.err.join('\n'), /--only takes a comma-separated list of Orzo services; unknown: haproxy \(known: control-api, builder, /);
    assert.deepEqual(c.out, []);
  });

  it('completes a verb added to the program without any completion code knowing it', () => {
    const program = buildProgram({ io: capture().io, exitCode: 0 });
    program.command('rotate-keys').description('rotates keys').option('--json', 'JSON').option('--soa-dir <dir>', 'x');
    const bash = bashCompletion(program);
    assert.match(
      bash,
      /compgen -W "up migrate wait-ready services validate list info mark-for-deployment status rollback stop start wait-for-deployment cook-image logs builds get-latest-deployment history dead-letters alerts restart autoscale jobs job local-run remote-run events token whoami secret config completion rotate-keys help /,
    );
    assert.match(bash, /\n {4}rotate-keys\) words="--json --soa-dir -h --help" ;;/);
    assert.match(bash, /"rotate-keys --soa-dir"\) COMPREPLY=\(\$\(compgen -d -- "\$cur"\)\); return ;;/);
    const zsh = zshCompletion(program);
    assert.match(zsh, /'rotate-keys:rotates keys'/);
    assert.match(zsh, /rotate-keys\) _arguments '--json''\[JSON\]'/);
  });
});
