import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import type { Request, Response } from 'express';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import { ACTION_HEADER, answerJson } from './answer';
import type { DashboardConfig } from './config';
import { ControlApiGateway } from './control-api.gateway';
import { TOKEN_COOKIE, callerToken, clearedCookie, parseCookies, sessionCookie } from './cookies';
import { GatewayMethod } from './method-table';
import { Refusal } from './refusal';
import { readJsonObject } from './request-body';

/**
 * The browser's JSON API: log in and out with a token, and call any unary method of
 * control-api with it. Nothing here checks what a token may do: control-api does, per call.
 */
@Controller('api')
export class ApiController {
  private readonly whoAmI: GatewayMethod;

  constructor(
    private readonly gateway: ControlApiGateway,
    @Inject(SERVICE_CONFIG) private readonly config: DashboardConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.whoAmI = gateway.methods.get('WhoAmI')!;
  }

  /** `{"token": "..."}`: checked by control-api's WhoAmI; valid, it becomes the session cookie. */
  @Post('login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerJson(res, this.logger, 'login', async () => {
      // Login needs no X-Orzo-Action, so another site's form must not log the browser in as someone else.
      if (req.get('sec-fetch-site') === 'cross-site') throw Refusal.forbidden('login from another site is refused');
      const body = await readJsonObject(req);
      const token = typeof body.token === 'string' ? body.token.trim() : '';
      if (!token) throw Refusal.unauthenticated('no token given: {"token": "..."} (npx orzo token create makes one)');
      const who = await this.gateway.unary(this.whoAmI, this.whoAmI.requestFromJson({}), token);
      res.setHeader('Set-Cookie', sessionCookie(token, this.config.ORZO_DASHBOARD_SECURE_COOKIE));
      return this.whoAmI.responseToJson(who);
    });
  }

  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerJson(res, this.logger, 'logout', async () => {
      requireAction(req);
      res.setHeader('Set-Cookie', clearedCookie(this.config.ORZO_DASHBOARD_SECURE_COOKIE));
      return {};
    });
  }

  @Get('whoami')
  async whoami(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.call(req, res, this.whoAmI, async () => ({}));
  }

  /** Any unary method by its proto name; the body is the request in proto3 JSON. */
  @Post('rpc/:method')
  async rpc(@Param('method') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await answerJson(res, this.logger, `rpc ${name}`, async () => {
      requireAction(req);
      const method = this.gateway.methods.get(name);
      if (!method) throw Refusal.notFound(`control-api has no method ${name}`);
      if (method.requestStream || method.responseStream)
        throw Refusal.badRequest(`${name} streams its answer: use GET /api/stream/${name}?req=<JSON> (server-sent events)`);
      await this.call(req, res, method, () => readJsonObject(req));
    });
  }

  /** Reads the request, calls `method` with the caller's token, answers its JSON; an invalid session cookie is cleared. */
  private async call(req: Request, res: Response, method: GatewayMethod, readRequest: () => Promise<Record<string, unknown>>): Promise<void> {
    await answerJson(res, this.logger, method.name, async () => {
      const json = await readRequest();
      const token = callerToken(req.headers);
      if (!token) throw Refusal.unauthenticated('not logged in: POST /api/login with a token, or send Authorization: Bearer <token>');
      try {
        return method.responseToJson(await this.gateway.unary(method, method.requestFromJson(json), token));
      } catch (err) {
        if ((err as { code?: unknown }).code === status.UNAUTHENTICATED && parseCookies(req.headers.cookie).has(TOKEN_COOKIE))
          res.setHeader('Set-Cookie', clearedCookie(this.config.ORZO_DASHBOARD_SECURE_COOKIE));
        throw err;
      }
    });
  }
}

/** 403 unless the request carries X-Orzo-Action: 1 (see ACTION_HEADER). */
export function requireAction(req: Request): void {
  if (req.headers[ACTION_HEADER] !== '1') throw Refusal.forbidden('missing header X-Orzo-Action: 1 (every POST but login needs it)');
}
