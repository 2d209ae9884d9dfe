import type { INestApplication } from '@nestjs/common';
import { ServiceContext, createServiceApp } from '@orzo/platform';
import type { DashboardConfig } from './config';
import { DashboardModule } from './dashboard.module';
import { securityHeaders } from './security-headers';

/** The dashboard's Nest application, its security headers on every answer; not listening yet. */
export async function createDashboardApp(ctx: ServiceContext<DashboardConfig>): Promise<INestApplication> {
  const app = await createServiceApp(ctx, DashboardModule);
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.use(securityHeaders);
  return app;
}
