import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ORZO_SERVICES } from '@orzo/contracts';
import { NatsServerHandle, REPO_ROOT, freePort, startNatsServer, startPlatform, testPostgresUrl, uniqueSchema, waitFor } from '@orzo/testing';

const mainOf = (service: string) => join(REPO_ROOT, 'services', service, 'dist', 'src', 'main.js');

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the platform on one machine', () => {
  let nats: NatsServerHandle;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats.dispose();
  });

  it('`orzo up` migrates and boots all six services, each healthy with metrics, and Ctrl-C stops them cleanly', async () => {
    // Info level whatever the caller's ORZO_LOG_LEVEL: the test reads what the services log.
    const platform = await startPlatform({ ORZO_LOG_LEVEL: 'info' });
    const ports = Object.fromEntries(ORZO_SERVICES.map(({ name }) => [name, platform.port(name)]));
    const output = () => platform.output();
    let exitCode: number | null = null;
    try {
      for (const { name } of ORZO_SERVICES) {
        const health = await waitFor(
          async () => {
            const h = await getJson(`http://127.0.0.1:${ports[name]}/healthz`);
            return h.status === 200 ? h : null;
          },
          { timeoutMs: 60_000, what: `${name} /healthz (output so far:\n${output().slice(-2000)})` },
        );
        assert.equal(health.body.service, name);
        const own: Record<string, string[]> = { 'control-api': ['grpc'], 'discovery-publisher': ['haproxy'] };
        assert.deepEqual(Object.keys(health.body.checks as object).sort(), ['database', 'nats', ...(own[name] ?? [])].sort());
        const metrics = await (await fetch(`http://127.0.0.1:${ports[name]}/metrics`)).text();
        assert.match(metrics, new RegExp(`orzo_process_cpu_seconds_total\\{service="${name}"\\}`));
        assert.match(metrics, /# TYPE orzo_bus_events_handled_total counter/);
      }
      // The CLI reaches control-api over gRPC, which checks marks against the soa-configs and,
      // through scheduler-bridge, the engine (the accepted path is in deploy.e2e-spec).
      const sha = 'feedface00112233445566778899aabbccddeeff';
      const missing = platform.cli(['mark-for-deployment', '-s', 'hello', '-l', 'local.main', '-c', sha]);
      assert.equal(missing.status, 1, missing.stdout);
      assert.match(missing.stderr, new RegExp(`INVALID_ARGUMENT: image services-hello:orzo-${sha} does not exist`));
      const st = platform.cli(['status', '-s', 'hello', '--json']);
      assert.equal(st.status, 0, st.stderr);
      assert.equal(
        (JSON.parse(st.stdout) as { instances: Array<{ instance: string; state: string }> }).instances[0]!.state,
        'Not deployed (no version marked for this deploy group)',
      );
      const bad = platform.cli(['mark-for-deployment', '-s', 'nosuch', '-l', 'local.main', '-c', sha]);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /NOT_FOUND: unknown service nosuch/);
      // Every service logs structured JSON carrying its name.
      const jsonLines = output()
        .split('\n')
        .filter((l) => l.includes('| {'));
      for (const { name } of ORZO_SERVICES)
        assert.ok(
          jsonLines.some((l) => JSON.parse(l.slice(l.indexOf('| ') + 2)).service === name),
          `${name} logs JSON`,
        );
    } finally {
      exitCode = await platform.stop();
    }
    assert.equal(exitCode, 0, output().slice(-3000));
    for (const { name } of ORZO_SERVICES) assert.match(output(), new RegExp(`${name}\\s*\\|.*bus drained and closed`));
  });

  it('with ORZO_LOG_LEVEL=warn it comes up all the same (readiness is /healthz, not a log line) and logs nothing below warn', async () => {
    const platform = await startPlatform({ ORZO_LOG_LEVEL: 'warn' });
    try {
      // startPlatform resolved: every service's and the dashboard's /healthz said 200.
      const st = platform.cli(['status', '-s', 'hello', '--json']);
      assert.equal(st.status, 0, st.stderr);
    } finally {
      await platform.stop();
    }
    const levels = new Set(
      platform
        .output()
        .split('\n')
        .filter((l) => l.includes('| {'))
        .map((l) => (JSON.parse(l.slice(l.indexOf('| ') + 2)) as { level?: string }).level),
    );
    assert.ok(
      [...levels].every((l) => l === 'warn' || l === 'error' || l === 'fatal'),
      `levels logged: ${[...levels].join(', ')}`,
    );
  });

  it('each service exits 1 listing every bad variable when started with bad config', () => {
    for (const { name } of ORZO_SERVICES) {
      const res = spawnSync(process.execPath, [mainOf(name)], {
        env: { PATH: process.env.PATH, ORZO_NATS_URL: 'localhost', ORZO_HTTP_PORT: '-1', ORZO_LOG_LEVEL: 'chatty' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(res.status, 1, `${name}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`${name}: invalid configuration \\(3 problems\\)`));
      for (const key of ['ORZO_NATS_URL', 'ORZO_HTTP_PORT', 'ORZO_LOG_LEVEL']) assert.match(res.stderr, new RegExp(`- ${key}: .*\\(got `));
    }
  });

  it('a service on PostgreSQL refuses an unmigrated schema, then runs after `migrate`', async () => {
    const schema = uniqueSchema('orzo_e2e');
    const port = await freePort();
    const env = {
      ...process.env,
      ORZO_NATS_URL: nats.url,
      ORZO_DB_URL: testPostgresUrl(),
      ORZO_DB_SCHEMA: schema,
      // Its bootstrap admin token goes here, not into the checkout's .orzo/data.
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-pg-boot-')),
      ORZO_HTTP_PORT: String(port),
      ORZO_GRPC_PORT: String(await freePort()),
      ORZO_LOG_LEVEL: 'info',
    };
    const refused = spawnSync(process.execPath, [mainOf('control-api')], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /pending migration/);
    const migrated = spawnSync(process.execPath, [mainOf('control-api'), 'migrate'], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(migrated.status, 0, migrated.stdout + migrated.stderr);
    const child = spawn(process.execPath, [mainOf('control-api')], { env, stdio: 'ignore' });
    try {
      const health = await waitFor(async () => (await getJson(`http://127.0.0.1:${port}/healthz`)).body, {
        timeoutMs: 30_000,
        what: 'control-api on PostgreSQL',
      });
      assert.deepEqual((health.checks as Record<string, { ok: boolean; detail: string }>).database, { ok: true, detail: 'postgresql' });
    } finally {
      // A child that already exited (it failed to start) emits no second 'exit'.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      spawnSync('psql', [testPostgresUrl(), '-c', `drop schema if exists "${schema}" cascade`], { encoding: 'utf8' });
    }
  });
});
