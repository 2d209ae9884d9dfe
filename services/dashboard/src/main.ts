import { exitProcess, prepareService, stopOnSignal } from '@orzo/platform';
import { createDashboardApp } from './dashboard-app';
import { dashboard } from './definition';

/**
 * Like runService, but on the dashboard's own ORZO_DASHBOARD_HOST:PORT (the address users
 * open in a browser; /healthz and /metrics are served there too) instead of ORZO_HTTP_*.
 */
async function main(): Promise<void> {
  const ctx = prepareService(dashboard);
  if (!ctx) {
    process.exitCode = 1;
    return;
  }
  try {
    const app = await createDashboardApp(ctx);
    await app.listen(ctx.config.ORZO_DASHBOARD_PORT, ctx.config.ORZO_DASHBOARD_HOST);
    ctx.logger.info({ url: await app.getUrl(), webDir: ctx.config.ORZO_DASHBOARD_WEB_DIR }, 'dashboard started');
    stopOnSignal(app, ctx.logger, 'dashboard');
  } catch (err) {
    ctx.logger.fatal({ err }, `dashboard failed to start: ${(err as Error).message}`);
    await exitProcess(ctx.logger, 1);
  }
}

void main();
