import { createHash } from 'node:crypto';
import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { ParseResult, nulPath, shown } from './delivery';
import { DeliveryRepository } from './persistence/delivery.repository';
import { DeliveryService } from './delivery.service';
import { GenericDeliveryId, parseGenericWebhook } from './generic-webhook';
import { HookAuth } from './hook-auth';
import type { JenkinsHookConfig } from './config';
import { HookError } from './hook-error';
import { parseJenkinsNotification } from './jenkins-notification';
import { readRawBody } from './raw-body';

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 500;

/**
 * The webhook endpoints. Nest runs without a body parser: each handler reads the raw bytes
 * itself (signature over the exact body, its own size limit) and answers every refusal as
 * `{"error": "..."}`.
 */
@Controller('v1')
export class HookController {
  constructor(
    private readonly auth: HookAuth,
    private readonly deliveries: DeliveryService,
    private readonly repository: DeliveryRepository,
    @Inject(SERVICE_CONFIG) private readonly config: JenkinsHookConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The Jenkins Notification plugin (HTTP, JSON format). */
  @Post('jenkins/notification')
  async jenkinsNotification(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.answer(req, res, async () => {
      this.auth.requireToken(req.headers, req.originalUrl);
      const body = await readRawBody(req, this.config.ORZO_WEBHOOK_MAX_BYTES);
      return this.deliveries.handle(valid(parseJenkinsNotification(parseJson(body))));
    });
  }

  /** Any CI: `{service, sha, image?, git_url?, dockerfile?, context?}`, optionally HMAC-signed. */
  @Post('webhooks/build')
  async genericBuild(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.answer(req, res, async () => {
      this.auth.requireToken(req.headers, req.originalUrl);
      const body = await readRawBody(req, this.config.ORZO_WEBHOOK_MAX_BYTES);
      this.auth.requireSignature(req.headers, body);
      const json = parseJson(body);
      return this.deliveries.handle(valid(parseGenericWebhook(json, deliveryId(req, body))));
    });
  }

  /** Recorded deliveries, newest first, so results that did not act are visible too. */
  @Get('jenkins/notifications')
  async listNotifications(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.answer(req, res, async () => {
      this.auth.requireToken(req.headers, req.originalUrl);
      const params = new URL(req.originalUrl, 'http://localhost').searchParams;
      const service = params.get('service')?.trim() || undefined;
      const limitText = params.get('limit');
      const limit = limitText === null || limitText === '' ? DEFAULT_LIST_LIMIT : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
        throw HookError.badRequest(`limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${JSON.stringify(limitText)})`);
      return { status: 200, body: { deliveries: await this.repository.list({ service, limit }) } };
    });
  }

  private async answer(req: Request, res: Response, work: () => Promise<{ status: number; body: unknown }>): Promise<void> {
    try {
      const outcome = await work();
      res.status(outcome.status).json(outcome.body);
    } catch (err) {
      if (err instanceof HookError) {
        this.logger.warn({ route: req.route?.path, status: err.status, remote: req.socket.remoteAddress }, `refused ${req.method} ${req.path}: ${err.message}`);
        // The unread rest of an oversized body is not drained: the connection closes instead.
        if (err.status === 413) res.setHeader('Connection', 'close');
        res.status(err.status).json({ error: err.message });
        return;
      }
      this.logger.error({ err, route: req.route?.path }, `${req.method} ${req.path} failed`);
      res.status(500).json({ error: `internal error: ${(err as Error).message}` });
    }
  }
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw HookError.badRequest('request body is empty: expected a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    throw HookError.badRequest(`request body is not valid JSON: ${(err as Error).message}`);
  }
  const nul = nulPath(json);
  if (nul !== null) throw HookError.badRequest(`request body has a NUL character (\\u0000) in ${shown(nul)}: it cannot be stored`);
  return json;
}

function valid(result: ParseResult) {
  if (!result.ok) throw HookError.badRequest(`invalid request: ${result.problems.join('; ')}`);
  return result.delivery;
}

/** X-GitHub-Delivery or X-Orzo-Delivery when sent, else the body's SHA-256. */
function deliveryId(req: Request, body: Buffer): GenericDeliveryId {
  const header = req.get('x-github-delivery') ?? req.get('x-orzo-delivery');
  if (header !== undefined) {
    if (!DELIVERY_ID.test(header))
      throw HookError.badRequest('X-GitHub-Delivery / X-Orzo-Delivery must be 1-200 characters of letters, digits, ".", "_", ":" and "-"');
    return { key: `webhook:${header}`, requestedBy: `webhook:${header}` };
  }
  const hash = createHash('sha256').update(body).digest('hex');
  return { key: `webhook:sha256:${hash}`, requestedBy: `webhook:sha256:${hash.slice(0, 12)}` };
}
