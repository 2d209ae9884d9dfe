import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SERVICE_CONFIG } from '@orzo/platform';
import type { DashboardConfig } from './config';
import { NO_CACHE, cacheControlOf, contentTypeOf, fileUnder, isAppRoute } from './static-files';

/**
 * The built web app (web/dist): files as they are, any other path without an extension is a
 * route of the single-page app and gets index.html. Registered last, after /api and /healthz.
 */
@Controller()
export class StaticController {
  private readonly root: string;

  constructor(@Inject(SERVICE_CONFIG) config: DashboardConfig) {
    this.root = config.ORZO_DASHBOARD_WEB_DIR;
  }

  @Get('{*path}')
  serve(@Req() req: Request, @Res() res: Response): void {
    if (req.path === '/api' || req.path.startsWith('/api/')) {
      res.status(404).json({ error: `no such API route: ${req.method} ${req.path}`, code: 'NOT_FOUND' });
      return;
    }
    const index = join(this.root, 'index.html');
    if (!isFile(index)) {
      res.status(503).setHeader('Cache-Control', 'no-store').type('html').send(notBuiltPage(this.root));
      return;
    }
    const file = fileUnder(this.root, req.path);
    if (file && isFile(file)) return send(req, res, file, cacheControlOf(req.path));
    if (file && isAppRoute(req.path, req.get('accept'))) return send(req, res, index, NO_CACHE);
    res.status(404).setHeader('Cache-Control', 'no-store').type('text').send(`not found: ${req.path}`);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function send(req: Request, res: Response, file: string, cacheControl: string): void {
  res.status(200);
  res.setHeader('Content-Type', contentTypeOf(file));
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('Content-Length', statSync(file).size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

function notBuiltPage(root: string): string {
  const escaped = root.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orzo dashboard: not built</title></head>
<body><h1>The Orzo dashboard is not built</h1>
<p>The web app is missing: there is no <code>${escaped}/index.html</code>.</p>
<p>Build it from the checkout with <code>npm run build</code>, then reload this page.
The API under <code>/api</code> works without it.</p></body></html>
`;
}
