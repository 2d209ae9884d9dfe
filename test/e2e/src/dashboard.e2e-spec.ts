import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import {
  AlertmanagerHandle,
  PlatformHandle,
  REPO_ROOT,
  SoaCopy,
  buildImage,
  copySoaConfigs,
  servicePidOf,
  ensureBusyboxBase,
  freePort,
  httpGet,
  instancesYaml,
  startAlertmanager,
  startPlatform,
  waitFor,
} from '@orzo/testing';

const V1 = 'dada0001aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const V2 = 'dada0002bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
/** Services besides the example, never marked: the services page lists 100. */
const FILLERS = 99;
const ARTIFACTS = join(REPO_ROOT, 'test', 'e2e', 'artifacts');
const AXE = join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
/** Debian's Chromium as root in a container: no sandbox, nothing fetched from the network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A TCP proxy to the dashboard whose connections the test can cut (a lost network, seen from the browser). */
class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: string,
  ) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target), '127.0.0.1');
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Closes the port and every connection through it. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

/**
 * The web dashboard in headless Chromium against the whole platform (`orzo up`) on real Docker,
 * HAProxy and NATS: the example service under a private name, 99 more services that were never
 * deployed, and a real Alertmanager.
 */
describe('the web dashboard in Chromium: live deploys, rollback, scopes, alerts, accessibility', () => {
  const docker = new Docker();
  let platform: PlatformHandle;
  let am: AlertmanagerHandle;
  let soa: SoaCopy;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let url: string;
  let svc: string;
  let adminToken: string;

  const containers = async () =>
    (await docker.listContainers({ filters: { label: ['orzo.managed=true', `orzo.service=${svc}`, 'orzo.instance=main'] } })).map((c) => c.Id);
  const version = async () => (await httpGet(`http://127.0.0.1:${soa.proxyPort}/version`)).body.trim();
  const cli = (...args: string[]) => {
    const r = platform.cli(args, 120_000);
    assert.equal(r.status, 0, `orzo ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const shoot = async (p: Page, name: string) => {
    for (const [size, viewport] of Object.entries(SIZES)) {
      await p.setViewportSize(viewport);
      await p.screenshot({ path: join(ARTIFACTS, `${name}-${size}.png`), fullPage: true });
    }
    await p.setViewportSize(SIZES.desktop);
  };
  /** axe-core on the page as it is, at both sizes: no serious or critical violation. */
  const axe = async (p: Page, name: string) => {
    // Evaluated, not added as a <script>: the dashboard's CSP (default-src 'self') blocks inline scripts.
    await p.evaluate(readFileSync(AXE, 'utf8'));
    for (const [size, viewport] of Object.entries(SIZES)) {
      await p.setViewportSize(viewport);
      const violations = await p.evaluate<Array<{ id: string; impact: string | null; help: string; nodes: string[] }>>(
        `axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`,
      );
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(bad, [], `axe on ${name} at ${size} size: ${JSON.stringify(bad, null, 1)}`);
    }
    await p.setViewportSize(SIZES.desktop);
  };
  const login = async (context: BrowserContext, token: string, base = url): Promise<Page> => {
    const p = await context.newPage();
    await p.goto(base);
    await p.getByLabel('API token').fill(token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Services' }).waitFor();
    return p;
  };
  const row = (p: Page) => p.locator(`tr[data-service="${svc}"]`).first();

  before(async () => {
    svc = `dash-${Math.random().toString(36).slice(2, 8)}`;
    const kube = instancesYaml({
      main: {
        instances: 3,
        min_instances: 1,
        max_instances: 4,
        registrations: [`${svc}.main`],
        monitoring: { alert_after: '4s', check_every: '1s' },
      },
    });
    const tron = [
      'nightly:',
      '  schedule: cron 0 4 * * *',
      '  deploy_group: local.main',
      '  actions:',
      '    greet:',
      '      command: echo hello from the dashboard',
      '',
    ].join('\n');
    soa = await copySoaConfigs({ service: svc, files: { 'kubernetes-local.yaml': kube, 'tron-local.yaml': tron } });
    for (let i = 0; i < FILLERS; i++) {
      const dir = join(soa.dir, `filler-${String(i).padStart(2, '0')}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'service.yaml'), `description: never deployed\nteam: team-${i % 7}\n`);
      writeFileSync(join(dir, 'kubernetes-local.yaml'), `main:\n  cpus: 0.1\n  mem: 32\n  instances: 2\n  deploy_group: local.main\n`);
      writeFileSync(join(dir, 'monitoring.yaml'), `team: team-${i % 7}\n`);
      writeFileSync(join(dir, 'deploy.yaml'), 'pipeline:\n  - step: local.main\n');
    }
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureBusyboxBase(docker);
    const context = join(REPO_ROOT, 'examples', 'services', 'hello');
    await buildImage(docker, { context, tag: `services-${svc}:orzo-${V1}`, buildargs: { VERSION: 'v1' } });
    await buildImage(docker, { context, tag: `services-${svc}:orzo-${V2}`, buildargs: { VERSION: 'v2' } });
    am = await startAlertmanager();
    platform = await startPlatform({ ORZO_SOA_DIR: soa.dir, ORZO_ALERTMANAGER_URL: am.url, ORZO_ALERTMANAGER_RESEND_S: '5' });
    url = platform.dashboardUrl;
    cli('mark-for-deployment', '-s', svc, '-l', 'local.main', '-c', V1, '--wait', '--timeout', '90');
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    admin = await browser.newContext({ viewport: SIZES.desktop });
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    for (const id of (await containers().catch(() => [])) ?? []) await docker.getContainer(id).remove({ force: true });
    for (const sha of [V1, V2])
      await docker
        .getImage(`services-${svc}:orzo-${sha}`)
        .remove({ force: true })
        .catch(() => undefined);
    await am?.dispose();
    if (soa) rmSync(soa.dir, { recursive: true, force: true });
  });

  it('logs in with a token and shows the example with 3 of 3 replicas healthy among 100 services', async () => {
    const loginPage = await admin.newPage();
    await loginPage.goto(url);
    await loginPage.getByLabel('API token').waitFor();
    await shoot(loginPage, 'login');
    await axe(loginPage, 'login');
    await loginPage.close();

    adminToken = readFileSync(join(platform.env.ORZO_DATA_DIR!, 'admin-token'), 'utf8').trim();
    page = await login(admin, adminToken);
    await row(page).getByLabel('3 of 3 replicas healthy').waitFor({ timeout: 30_000 });
    assert.match((await row(page).textContent()) ?? '', /Running/);
    assert.match((await row(page).textContent()) ?? '', new RegExp(V1.slice(0, 8)));
    await waitFor(async () => ((await page.locator('tr[data-service^="filler-"]').count()) === FILLERS ? true : undefined), {
      timeoutMs: 30_000,
      what: '99 more rows',
    });
    await shoot(page, 'services');
    await axe(page, 'services');
  });

  it('shows a deploy started from the CLI live, then the new version, without a reload', async () => {
    await page.getByRole('link', { name: svc, exact: true }).click();
    await page.getByRole('heading', { name: svc, exact: true }).waitFor();
    const card = page.locator('article[data-instance="local.main"]');
    await card.getByText(V1.slice(0, 8)).first().waitFor();
    assert.equal(await card.locator('tbody tr').count(), 3, 'three replicas listed');
    await page.evaluate('window.notReloaded = true');
    await shoot(page, 'service');
    await axe(page, 'service');

    cli('mark-for-deployment', '-s', svc, '-l', 'local.main', '-c', V2);
    // The deploy's progress streams in (the request, then scheduler-bridge's progress per phase);
    // while the instance bounces, the page says why it is not Running yet.
    const progress = page.locator('section.deploy-progress');
    await progress.getByText(/local\.main: deploy requested by /).waitFor({ timeout: 30_000 });
    await progress
      .getByText(/local\.main: \S+ \d\/3 /)
      .first()
      .waitFor({ timeout: 60_000 });
    await shoot(page, 'deploy-in-progress');
    await card.getByText('Running').first().waitFor({ timeout: 90_000 });
    await waitFor(
      async () => {
        const text = (await card.textContent()) ?? '';
        return text.includes(`version ${V2.slice(0, 8)}`) && (await card.getByLabel('3 of 3 replicas healthy').count()) > 0 && !text.includes('(old)');
      },
      { timeoutMs: 90_000, what: `the page showing ${V2} on 3/3 replicas\n${platform.output().slice(-2000)}` },
    );
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');
    assert.equal(await version(), 'v2');
    await shoot(page, 'service-deployed');
  });

  it('rolls back from the page after a confirmation, and the old version serves through HAProxy', async () => {
    const group = page.locator('[data-step="local.main"]');
    await group.getByRole('button', { name: 'Rollback' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll local.main back' });
    await dialog.waitFor();
    await dialog.getByLabel('Go back to').selectOption(V1);
    await shoot(page, 'rollback-dialog');
    await axe(page, 'rollback dialog');
    await dialog.getByRole('button', { name: 'Rollback' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `rolling back to ${V1.slice(0, 8)}` })
      .waitFor();
    await waitFor(async () => ((await version().catch(() => '')) === 'v1' ? true : undefined), {
      timeoutMs: 90_000,
      what: `v1 through HAProxy after the rollback\n${platform.output().slice(-2000)}`,
    });
    await page
      .locator('article[data-instance="local.main"]')
      .getByText(`version ${V1.slice(0, 8)}`)
      .waitFor({ timeout: 30_000 });
    await group.getByText('(rollback)').waitFor();
    const history = cli('history', '-s', svc);
    assert.match(history, /rollback/);
  });

  it('a read-only token sees no action button, and a forged action with it is refused with 403', async () => {
    const token = cli('token', 'create', '--name', `viewer-${svc}`, '--scope', 'read').trim().split('\n').pop()!;
    const viewer = await browser.newContext({ viewport: SIZES.desktop });
    try {
      const p = await login(viewer, token);
      await row(p).getByLabel('3 of 3 replicas healthy').waitFor({ timeout: 30_000 });
      await p.goto(`${url}/services/${svc}`);
      await p.locator('article[data-instance="local.main"] tbody tr').first().waitFor();
      await p.locator('[data-step="local.main"]').waitFor();
      assert.equal(await p.getByRole('button', { name: /Restart|Stop|Start|Scale|Rollback|Mark version|Promote/ }).count(), 0, 'no action buttons');
      await shoot(p, 'service-read-only');
      const forged = await p.evaluate(async (service) => {
        const r = await fetch('/api/rpc/Rollback', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Orzo-Action': '1' },
          body: JSON.stringify({ service, deployGroup: 'local.main' }),
        });
        return { status: r.status, body: await r.text() };
      }, svc);
      assert.equal(forged.status, 403, forged.body);
      assert.match(forged.body, /"error"/);
    } finally {
      await viewer.close();
    }
    assert.equal(await version(), 'v1', 'the forged rollback changed nothing');
  });

  it('a firing alert appears on the alerts page and clears, without a reload', async (t) => {
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByText('No alert is firing.').waitFor({ timeout: 30_000 });
    // As in alerts.e2e-spec: scheduler-bridge is paused so the failing replicas are not replaced.
    const scheduler = servicePidOf(platform, 'scheduler-bridge');
    process.kill(scheduler, 'SIGSTOP');
    t.after(() => process.kill(scheduler, 'SIGCONT'));
    const [a, b] = await containers();
    for (const id of [a!, b!]) execFileSync('docker', ['exec', id, 'rm', '/www/status']);
    const alertname = `check_paasta_services_replication.${svc}.main`;
    const alertRow = page.locator(`tr[data-alert="${alertname}"]`);
    await alertRow.waitFor({ timeout: 60_000 });
    assert.match((await alertRow.textContent()) ?? '', /critical/);
    await shoot(page, 'alerts');
    await axe(page, 'alerts');
    for (const id of [a!, b!]) execFileSync('docker', ['exec', id, 'sh', '-c', 'echo ok > /www/status']);
    await alertRow.waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByText('No alert is firing.').waitFor();
    process.kill(scheduler, 'SIGCONT');
  });

  it('shows a lost connection, reconnects by itself and catches up with what changed meanwhile', async () => {
    // The browser reaches the dashboard through a TCP proxy that the test cuts and reopens.
    const proxy = new CuttableProxy(await freePort(), new URL(url).port);
    await proxy.open();
    const context = await browser.newContext({ viewport: SIZES.desktop });
    try {
      const p = await login(context, adminToken, `http://127.0.0.1:${proxy.port}`);
      await p.goto(`http://127.0.0.1:${proxy.port}/services/${svc}`);
      const card = p.locator('article[data-instance="local.main"]');
      await card.getByLabel('3 of 3 replicas healthy').first().waitFor({ timeout: 30_000 });
      await p
        .getByRole('status')
        .filter({ hasText: /^live$/ })
        .waitFor();
      await proxy.cut();
      await p.getByText('connection lost, reconnecting…').waitFor({ timeout: 30_000 });
      await shoot(p, 'connection-lost');
      cli('autoscale', '-s', svc, '-c', 'local', '-i', 'main', '--set', '2');
      await waitFor(() => (/Running/.test(cli('status', '-s', svc, '-i', 'main')) ? true : undefined), { timeoutMs: 60_000, what: 'scaled to 2' });
      await proxy.open();
      await p
        .getByRole('status')
        .filter({ hasText: /^live$/ })
        .waitFor({ timeout: 60_000 });
      await card.getByLabel('2 of 2 replicas healthy').first().waitFor({ timeout: 60_000 });
    } finally {
      cli('autoscale', '-s', svc, '-c', 'local', '-i', 'main', '--clear');
      await context.close();
      await proxy.cut();
    }
  });

  it('history, builds and jobs pages render and pass axe', async () => {
    for (const [path, heading, name] of [
      [`/history?service=${svc}`, 'History and events', 'history'],
      [`/builds?service=${svc}`, 'Builds', 'builds'],
      [`/jobs?service=${svc}`, 'Jobs', 'jobs'],
    ] as const) {
      await page.goto(`${url}${path}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await shoot(page, name);
      await axe(page, name);
    }
    await page.goto(`${url}/history?service=${svc}`);
    await page.getByRole('cell', { name: 'rollback' }).first().waitFor({ timeout: 30_000 });
  });

  it('runs a job now from the jobs page after a confirmation, and shows its run and log live', async () => {
    await page.goto(`${url}/jobs?service=${svc}`);
    const job = page.getByRole('article', { name: 'job nightly.local' });
    await job.getByText('0 4 * * *').waitFor({ timeout: 30_000 });
    await job.getByRole('button', { name: 'Run now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run nightly on local now?' });
    await dialog.getByRole('button', { name: 'Run now' }).click();
    await job
      .getByRole('status')
      .filter({ hasText: /run \S+ started/ })
      .waitFor();
    await job.locator('.runs > li[data-run-state="succeeded"]').waitFor({ timeout: 60_000 });
    await job.locator('.runs button.link').first().click();
    await job.getByText('hello from the dashboard').waitFor({ timeout: 30_000 });
    await shoot(page, 'jobs-run');
    await axe(page, 'jobs with a run log');
  });

  it('measures the first paint of the services page with 100 services (a logged figure, no assertion on time)', async () => {
    const p = await admin.newPage();
    const started = Date.now();
    await p.goto(url);
    await p.locator('tr[data-service]').first().waitFor({ timeout: 30_000 });
    const firstRow = Date.now() - started;
    await row(p).getByLabel('3 of 3 replicas healthy').waitFor({ timeout: 30_000 });
    await waitFor(async () => ((await p.locator('tr[data-service^="filler-"] td:not(.muted)').count()) >= FILLERS ? true : undefined), {
      timeoutMs: 60_000,
      what: 'every filler row with its status',
    });
    const allRows = Date.now() - started;
    const paint = await p.evaluate<Array<{ name: string; at: number }>>(
      `performance.getEntriesByType('paint').map((e) => ({ name: e.name, at: Math.round(e.startTime) }))`,
    );
    const fcp = paint.find((e) => e.name === 'first-contentful-paint');
    assert.ok(fcp, `a first contentful paint was recorded: ${JSON.stringify(paint)}`);
    // eslint-disable-next-line no-console
    console.log(
      `dashboard with 100 services: first contentful paint ${fcp.at} ms, first service row after ${firstRow} ms, every row with its status after ${allRows} ms`,
    );
    await p.close();
  });
});
