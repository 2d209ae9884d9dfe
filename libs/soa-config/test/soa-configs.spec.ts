import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe as suite, it } from 'node:test';
import fc from 'fast-check';
import { SoaServiceReader, jsonSchemas, loadSoaConfigs, renderSoaConfigsReference, repositoryOf } from '../src';
import { MINIMAL, describe, errors, load, system, writeTree } from './tree-helper';

const repoRoot = join(__dirname, '..', '..', '..', '..');

suite('loading soa-configs', () => {
  it("loads the seed's own example, once it has the deploy.yaml PaaSTA requires", () => {
    const instance = { 'demo/kubernetes-local.yaml': 'demo:\n  cpus: 1\n  mem: 500\n  instances: 10\n  monitoring:\n    team: operations\n' };
    const bare = load(instance);
    assert.deepEqual(
      errors(bare).map((e) => e.message),
      ['no deploy.yaml: deploy group local.demo can never get a version (PaaSTA fails this too)'],
    );
    const r = load({ ...instance, 'demo/deploy.yaml': 'pipeline:\n- step: local.demo\n' });
    assert.equal(r.problems.length, 0, describe(r));
    const [i] = r.services[0]!.instances;
    assert.equal(i!.instance, 'demo');
    assert.deepEqual([i!.cpus, i!.memMb, i!.replicas.instances, i!.monitoring.team], [1, 500, 10, 'operations']);
  });

  it('loads the example service of examples/ without a problem', () => {
    const r = loadSoaConfigs({ soaDir: join(repoRoot, 'examples', 'soa-configs'), system: system() });
    assert.equal(r.problems.length, 0, describe(r));
    const hello = r.services.find((s) => s.name === 'hello')!;
    assert.equal(hello.instances[0]!.replicas.instances, 3);
    assert.equal(hello.instances[0]!.registrations[0]!.proxyPort, 20001);
  });

  it('reads a service one at a time: its repository (relative to its directory) and its registry (service.yaml over the system)', () => {
    const dir = writeTree({ ...MINIMAL, 'web/service.yaml': 'git_url: ../../code/web\ndocker_registry: registry.example:5000\n' });
    const reader = new SoaServiceReader({ system: { ...system(), soaDir: dir, registry: 'system.example' } });
    const web = reader.lookup('web');
    assert.ok(web.ok, web.ok ? '' : web.message);
    assert.equal(repositoryOf(web.service), join(dir, '..', 'code', 'web'));
    assert.equal(reader.registryOf(web.service), 'registry.example:5000');
    assert.equal(reader.registryOf({ dockerRegistry: undefined }), 'system.example');
    assert.equal(repositoryOf({ dir, gitUrl: 'git@github.com:org/web.git' }), 'git@github.com:org/web.git');
    const missing = reader.lookup('wbe');
    assert.ok(!missing.ok && missing.notFound && /did you mean web\?/.test(missing.message));
  });

  it("loads PaaSTA's documented deploy.yaml and instances, flagging the docs' own deploy-group typo", () => {
    const files = {
      'my-cool-service/deploy.yaml':
        '---\npipeline:\n- step: itest\n- step: security-check\n- step: push-to-registry\n- step: dev-stage.everything\n  trigger_next_step_manually: true\n- step: prod.canary\n  trigger_next_step_manually: true\n- step: prod.non_canary\n',
      'my-cool-service/kubernetes-pnw-prod.yaml':
        "main:\n  min_instances: 30\n  max_instances: 200\n  cpus: 2\n  mem: 2000\n  registrations: ['my-cool-service.main']\n  deploy_group: prod.non-canary\n\ncanary:\n  instances: 3\n  cpus: 2\n  mem: 2000\n  registrations: ['my-cool-service.main']  # Same as main\n  deploy_group: prod.canary  # Different from main\n",
      'my-cool-service/smartstack.yaml': 'main:\n  advertise: [region]\n  discover: region\n  proxy_port: 19284\n',
      'my-cool-service/monitoring.yaml': 'team: frontend\npage: false\n',
    };
    const r = load(files, { clusters: ['pnw-prod'] });
    assert.equal(r.errors, 1, describe(r));
    const [e] = errors(r);
    assert.match(e!.message, /deploy group prod.non-canary is not a step of the deploy.yaml pipeline/);
    assert.equal(e!.line, 7);
    assert.match(e!.expected!, /prod.non_canary/);

    const fixed = load(
      { ...files, 'my-cool-service/kubernetes-pnw-prod.yaml': files['my-cool-service/kubernetes-pnw-prod.yaml'].replace('prod.non-canary', 'prod.non_canary') },
      { clusters: ['pnw-prod'] },
    );
    assert.equal(fixed.problems.length, 0, describe(fixed));
    const svc = fixed.services[0]!;
    assert.deepEqual(
      svc.pipeline.map((s) => [s.step, s.deployGroup, s.triggerNextStepManually]),
      [
        ['itest', false, false],
        ['security-check', false, false],
        ['push-to-registry', false, false],
        ['dev-stage.everything', true, true],
        ['prod.canary', true, true],
        ['prod.non_canary', true, false],
      ],
    );
    const main = svc.instances.find((i) => i.instance === 'main')!;
    assert.deepEqual(main.replicas, { instances: 30, min: 30, max: 200, autoscaled: true });
    const canary = svc.instances.find((i) => i.instance === 'canary')!;
    assert.equal(canary.registrations[0]!.name, 'my-cool-service.main', 'a canary shares the main registration');
  });

  it("applies PaaSTA's documented monitoring override precedence", () => {
    const r = load(
      {
        'svc/deploy.yaml': 'pipeline:\n- step: prod.main\n- step: prod.canary\n',
        'svc/service.yaml': 'monitoring:\n  team: fallback\n  tip: from service.yaml\n',
        'svc/monitoring.yaml': 'team: frontend\npage: false\n',
        'svc/kubernetes-prod.yaml':
          'main:\n  instances: 20\n  deploy_group: prod.main\n  monitoring:\n    team: ops\n    page: true\ncanary:\n  instances: 1\n  deploy_group: prod.canary\n  monitoring:\n    page: false\n    ticket: true\n',
      },
      { clusters: ['prod'] },
    );
    assert.equal(r.errors, 0, describe(r));
    const by = Object.fromEntries(r.services[0]!.instances.map((i) => [i.instance, i.monitoring]));
    assert.deepEqual([by.main!.team, by.main!.page, by.main!.ticket, by.main!.tip], ['ops', true, false, 'from service.yaml']);
    assert.deepEqual([by.canary!.team, by.canary!.page, by.canary!.ticket], ['frontend', false, true]);
  });

  it('treats _ keys as templates merged with <<, never as instances', () => {
    const r = load({ ...MINIMAL, 'web/kubernetes-local.yaml': '_base: &base\n  cpus: 0.5\n  mem: 256\nmain:\n  <<: *base\n  mem: 512\n' });
    assert.equal(r.errors, 0, describe(r));
    assert.deepEqual(
      r.services[0]!.instances.map((i) => [i.instance, i.cpus, i.memMb]),
      [['main', 0.5, 512]],
    );
  });

  it('layers instance > system defaults > built-in defaults', () => {
    const r = load({ ...MINIMAL, 'web/kubernetes-local.yaml': 'main:\n  cpus: 2\n' }, { defaults: { cpus: 0.25, mem: 128 } });
    const i = r.services[0]!.instances[0]!;
    assert.deepEqual([i.cpus, i.memMb, i.diskMb], [2, 128, 1024]);
  });
});

suite('validation', () => {
  it('suggests the near-miss key with file:line:column and the key path', () => {
    const r = load({ ...MINIMAL, 'web/kubernetes-local.yaml': 'main:\n  instnaces: 3\n' });
    const [e] = errors(r);
    assert.equal(e!.file.endsWith('web/kubernetes-local.yaml'), true);
    assert.deepEqual([e!.line, e!.column, e!.path, e!.hint], [2, 3, 'main.instnaces', 'did you mean instances?']);
  });

  it('reports every wrong value at once with what was expected and found', () => {
    const r = load({
      ...MINIMAL,
      'web/kubernetes-local.yaml':
        'main:\n  cpus: two\n  mem: -1\n  bounce_method: crossovr\n  env:\n    WORKERS: 4\n  container_port: 70000\n  healthcheck_grace_period_seconds: "60"\n',
    });
    const byPath = Object.fromEntries(errors(r).map((e) => [e.path, e]));
    assert.deepEqual(
      Object.keys(byPath).sort(),
      ['main.bounce_method', 'main.container_port', 'main.cpus', 'main.env.WORKERS', 'main.healthcheck_grace_period_seconds', 'main.mem'],
      describe(r),
    );
    assert.equal(byPath['main.cpus']!.found, '"two"');
    assert.match(byPath['main.mem']!.expected!, />= 32/);
    assert.equal(byPath['main.bounce_method']!.hint, 'did you mean crossover?');
    assert.equal(byPath['main.env.WORKERS']!.hint, 'quote it');
    assert.equal(byPath['main.healthcheck_grace_period_seconds']!.hint, 'remove the quotes');
    assert.equal(byPath['main.env.WORKERS']!.line, 6);
  });

  it('rejects cmd and args together, and cmd health checks without a command', () => {
    const r = load({ ...MINIMAL, 'web/kubernetes-local.yaml': 'main:\n  cmd: ./serve\n  args: [--port, "8888"]\n  healthcheck_mode: cmd\n' });
    const messages = errors(r).map((e) => e.message);
    assert.ok(messages.includes('cmd and args cannot both be set'), describe(r));
    assert.ok(messages.includes('healthcheck_mode cmd needs healthcheck_cmd'), describe(r));
  });

  it('checks registrations against the target service smartstack.yaml', () => {
    const r = load({
      ...MINIMAL,
      'web/kubernetes-local.yaml': "main:\n  registrations: ['web.mian', 'nosuch.main', 'web.main']\n",
    });
    const msgs = errors(r).map((e) => `${e.path}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
    assert.deepEqual(msgs, [
      'main.registrations.0: registration web.mian: namespace mian is not in web/smartstack.yaml',
      'main.registrations.1: registration nosuch.main names service nosuch, which has no directory in the soa-configs tree',
    ]);
  });

  it('keeps proxy_port unique across all services', () => {
    const r = load({ ...MINIMAL, 'api/smartstack.yaml': 'main:\n  proxy_port: 20001\nadmin:\n  proxy_port: 20002\n', 'api/monitoring.yaml': 'team: x\n' });
    const clashes = errors(r).filter((e) => /proxy_port 20001 is also used/.test(e.message));
    assert.equal(clashes.length, 2, describe(r));
  });

  it('notes, never fails, a file for a cluster this Orzo does not run', () => {
    const r = load({
      ...MINIMAL,
      'web/deploy.yaml': 'pipeline:\n  - step: local.main\n  - step: norcal.main\n',
      'web/kubernetes-norcal.yaml': 'main:\n  instances: 1\n',
    });
    assert.equal(r.errors, 0, describe(r));
    const notes = r.problems.filter((p) => p.severity === 'info');
    assert.equal(notes.length, 1, describe(r));
    assert.match(notes[0]!.message, /cluster norcal is not one this Orzo runs \(local\)/);
    assert.match(notes[0]!.hint!, /orzo.yaml/);
    assert.deepEqual(r.services[0]!.instances.map((i) => i.cluster).sort(), ['local', 'norcal']);
  });

  it("validates service and instance names, PaaSTA's _ rules included", () => {
    const long = 'a'.repeat(40) + '_' + 'b'.repeat(22); // 63 characters, 64 once _ becomes --
    const r = load({
      ...MINIMAL,
      'web/kubernetes-local.yaml': `main:\n  instances: 1\nBad_Name:\n  instances: 1\na--b:\n  instances: 1\n${long}:\n  instances: 1\n`,
    });
    const msgs = errors(r)
      .map((e) => e.message)
      .join('\n');
    assert.match(msgs, /instance name "Bad_Name" may hold only/);
    assert.match(msgs, /"a--b" contains "--"/);
    assert.match(msgs, /63/);
  });

  it('parses schedules and durations', () => {
    const r = load({
      ...MINIMAL,
      'web/deploy.yaml': 'pipeline:\n  - step: local.main\n  - step: local.nightly\n  - step: local.hourly\n  - step: local.bad\n  - step: local.old\n',
      'web/tron-local.yaml':
        'nightly:\n  schedule: "daily 04:00:00"\n  deploy_group: local.nightly\n  actions:\n    run:\n      command: ./nightly\nhourly:\n  schedule: "cron 0 * * * *"\n  deploy_group: local.hourly\n  actions:\n    run: {command: ./hourly}\nbad:\n  schedule: "cron 61 * * *"\n  deploy_group: local.bad\n  actions:\n    run: {command: ./bad}\n',
      'web/chronos-local.yaml': 'old:\n  schedule: R/2014-10-10T18:32:00Z/PT60M\n  cmd: ./old\n',
      'web/monitoring.yaml': 'team: infra\nalert_after: 5 minutes\n',
    });
    const msgs = errors(r).map((e) => `${e.path}: ${e.message}`);
    assert.deepEqual(
      msgs,
      [
        'alert_after: wrong type or value',
        'bad.schedule: schedule does not parse: a cron expression has 5 fields (minute hour day month weekday), this one has 4',
      ],
      describe(r),
    );
  });

  it('compiles jobs to a schedule plus actions', () => {
    const r = load({
      ...MINIMAL,
      'web/deploy.yaml': 'pipeline:\n  - step: local.main\n  - step: local.nightly\n',
      'web/tron-local.yaml':
        'nightly:\n  schedule: "daily 04:00:00"\n  deploy_group: local.nightly\n  actions:\n    extract: {command: ./extract, cpus: 0.5}\n    load: {command: ./load, requires: [extract]}\n',
    });
    assert.equal(r.errors, 0, describe(r));
    const [job] = r.services[0]!.jobs;
    assert.deepEqual(
      [job!.schedule, job!.actions.map((a) => [a.name, a.command, a.requires, a.cpus])],
      [
        'daily 04:00:00',
        [
          ['extract', './extract', [], 0.5],
          ['load', './load', ['extract'], 1],
        ],
      ],
    );
  });

  it('compiles the run keys of a Tron job (durations in seconds, job defaults for actions) and of a Chronos job', () => {
    const r = load({
      ...MINIMAL,
      'web/deploy.yaml': 'pipeline:\n  - step: local.main\n  - step: local.nightly\n  - step: local.hourly\n',
      'web/tron-local.yaml': [
        'nightly:',
        '  schedule: cron 0 4 * * *',
        '  deploy_group: local.nightly',
        '  time_zone: America/New_York',
        '  max_runtime: 2h',
        '  expected_runtime: 30m',
        '  allow_overlap: true',
        '  queueing: false',
        '  run_limit: 7',
        '  monitoring: {team: batch, check_that_every_day_has_a_successful_run: true}',
        '  actions:',
        '    extract: {command: ./extract, retries: 2, retries_delay: 1m, max_runtime: 10m, env: {A: b}}',
        '    load: {command: ./load, requires: [extract], expected_runtime: 5m}',
        '',
      ].join('\n'),
      'web/chronos-local.yaml':
        'hourly:\n  schedule: R/2026-01-01T00:00:00Z/PT1H\n  schedule_time_zone: Europe/Paris\n  cmd: ./hourly\n  retries: 3\n  disabled: true\n',
    });
    assert.equal(r.errors, 0, describe(r));
    const jobs = r.services[0]!.jobs;
    const tron = jobs.find((j) => j.job === 'nightly')!;
    assert.deepEqual(
      [
        tron.timeZone,
        tron.allowOverlap,
        tron.queueing,
        tron.runLimit,
        tron.checkEveryDay,
        tron.monitoring.team,
        tron.env.PAASTA_INSTANCE,
        tron.env.ORZO_MONITORING_TEAM,
      ],
      ['America/New_York', true, false, 7, true, 'batch', 'nightly', 'batch'],
    );
    assert.deepEqual(
      tron.actions.map((a) => [a.name, a.retries, a.retriesDelaySeconds, a.maxRuntimeSeconds, a.expectedRuntimeSeconds, a.env.A, a.env.PAASTA_INSTANCE]),
      [
        ['extract', 2, 60, 600, 1800, 'b', 'nightly.extract'],
        ['load', 0, 0, 7200, 300, undefined, 'nightly.load'],
      ],
    );
    const chronos = jobs.find((j) => j.job === 'hourly')!;
    assert.deepEqual(
      [chronos.flavor, chronos.timeZone, chronos.enabled, chronos.runLimit, chronos.actions.map((a) => [a.name, a.command, a.retries])],
      ['chronos', 'Europe/Paris', false, 50, [['hourly', './hourly', 3]]],
    );
  });

  it('names an unknown service with a suggestion and changes nothing', () => {
    const r = loadSoaConfigs({ soaDir: writeTree(MINIMAL), service: 'wbe', system: system() });
    assert.equal(r.services.length, 0);
    assert.equal(errors(r)[0]!.hint, 'did you mean web?');
  });

  it('warns about a service without a monitoring team', () => {
    const r = load({ 'web/deploy.yaml': MINIMAL['web/deploy.yaml']!, 'web/kubernetes-local.yaml': 'main: {instances: 1}\n' });
    assert.equal(r.errors, 0);
    assert.match(describe(r), /no monitoring team/);
  });
});

suite('compiled specs', () => {
  const hashOf = (yaml: string) => load({ ...MINIMAL, 'web/kubernetes-local.yaml': yaml }).services[0]!.instances[0]!.configHash;

  it('changes the config hash exactly when a bounce is needed', () => {
    const base = hashOf('main:\n  instances: 2\n  cpus: 1\n');
    assert.match(base, /^config[0-9a-f]{8}$/);
    assert.equal(hashOf('main:\n  instances: 5\n  cpus: 1\n'), base, 'instances');
    assert.equal(hashOf('main:\n  min_instances: 1\n  max_instances: 9\n  cpus: 1\n'), base, 'min / max');
    assert.notEqual(hashOf('main:\n  instances: 2\n  cpus: 2\n'), base, 'cpus');
    assert.notEqual(hashOf('main:\n  instances: 2\n  cpus: 1\n  env: {A: "1"}\n'), base, 'env');
    assert.equal(hashOf('main:\n  cpus: 1\n  instances: 2\n'), base, 'key order');
  });

  it('leaves the alerting config and backoff_seconds out of the config hash, and bounces on health check keys', () => {
    const base = hashOf('main:\n  instances: 2\n  cpus: 1\n');
    assert.equal(hashOf('main:\n  instances: 2\n  cpus: 1\n  backoff_seconds: 30\n'), base, 'backoff_seconds (PaaSTA: never bounces)');
    assert.equal(hashOf('main:\n  instances: 2\n  cpus: 1\n  replication_threshold: 80\n'), base, 'replication_threshold');
    assert.equal(hashOf('main:\n  instances: 2\n  cpus: 1\n  monitoring: {page: true, alert_after: 1m, runbook: http://rb}\n'), base, 'monitoring');
    assert.notEqual(hashOf('main:\n  instances: 2\n  cpus: 1\n  healthcheck_max_consecutive_failures: 3\n'), base, 'max failures');
    assert.notEqual(hashOf('main:\n  instances: 2\n  cpus: 1\n  healthcheck_mode: cmd\n  healthcheck_cmd: "test -f /tmp/ok"\n'), base, 'cmd');
    const backoffOf = (yaml: string) => load({ ...MINIMAL, 'web/kubernetes-local.yaml': yaml }).services[0]!.instances[0]!.backoffSeconds;
    assert.equal(backoffOf('main:\n  backoff_seconds: 30\n'), 30);
    assert.equal(backoffOf('main:\n  instances: 1\n'), 10, 'the default');
  });

  it('injects ORZO_* and PAASTA_* beside the declared env', () => {
    const i = load({ ...MINIMAL, 'web/kubernetes-local.yaml': 'main:\n  env: {FOO: bar}\n' }).services[0]!.instances[0]!;
    assert.equal(i.env.FOO, 'bar');
    for (const p of ['ORZO', 'PAASTA']) {
      assert.equal(i.env[`${p}_SERVICE`], 'web');
      assert.equal(i.env[`${p}_INSTANCE`], 'main');
      assert.equal(i.env[`${p}_CLUSTER`], 'local');
      assert.equal(i.env[`${p}_DEPLOY_GROUP`], 'local.main');
      assert.equal(i.env[`${p}_PORT`], '8888');
      assert.equal(i.env[`${p}_MONITORING_TEAM`], 'infra');
    }
  });

  it('puts mesh instances behind health checks and a drain, and leaves others alone', () => {
    const r = load({
      ...MINIMAL,
      'web/deploy.yaml': 'pipeline:\n  - step: local.main\n  - step: local.worker\n',
      'web/kubernetes-local.yaml': 'main: {instances: 1}\nworker: {instances: 1}\n',
    });
    const by = Object.fromEntries(r.services[0]!.instances.map((i) => [i.instance, i]));
    assert.deepEqual(
      [by.main!.healthcheck.mode, by.main!.bounce.drainMethod, by.main!.bounce.drainDelaySeconds, by.main!.registrations[0]!.proxyPort],
      ['http', 'hacheck', 60, 20001],
    );
    assert.deepEqual([by.worker!.healthcheck.mode, by.worker!.bounce.drainMethod, by.worker!.registrations.length], ['none', 'noop', 0]);
  });
});

suite('robustness', () => {
  it('never throws on random or mutated soa-configs (fuzzed)', () => {
    const yamlChars = fc.string({
      unit: fc.constantFrom(
        'a',
        'm',
        'i',
        'n',
        ':',
        ' ',
        '\n',
        '-',
        '&',
        '*',
        '<<',
        '[',
        ']',
        '{',
        '}',
        '"',
        '#',
        '_',
        '1',
        '0',
        '.',
        'cpus',
        'instances',
        'proxy_port',
        'step',
        'null',
        'true',
      ),
      maxLength: 120,
    });
    const mutate = (text: string, at: number, insert: string) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1));
    const files = Object.keys(MINIMAL);
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.oneof(yamlChars, fc.string({ maxLength: 80 })), fc.nat(), fc.boolean(), (file, junk, at, replace) => {
        const tree = { ...MINIMAL, [file]: replace ? junk : mutate(MINIMAL[file]!, at, junk) };
        const r = load(tree);
        assert.equal(r.errors, r.problems.filter((p) => p.severity === 'error').length);
      }),
      { numRuns: 300 },
    );
  });
});

suite('published JSON Schemas', () => {
  it('schemas/ holds exactly what the key tables generate (run npm run gen:schemas)', () => {
    const dir = join(repoRoot, 'schemas');
    const generated = jsonSchemas();
    assert.deepEqual(readdirSync(dir).sort(), Object.keys(generated).sort());
    for (const [name, schema] of Object.entries(generated)) assert.deepEqual(JSON.parse(readFileSync(join(dir, name), 'utf8')), schema, name);
  });

  it('docs/soa-configs.md is the reference the key tables generate (run npm run gen:schemas)', () => {
    assert.equal(readFileSync(join(repoRoot, 'docs', 'soa-configs.md'), 'utf8'), renderSoaConfigsReference());
  });
});
