import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { Request, Response } from 'express';
import { LOGGER, Logger } from '@orzo/platform';
import { answerJson } from './answer';
import { ControlApiGateway } from './control-api.gateway';
import { callerToken } from './cookies';
import { gatewayErrorOf } from './grpc-errors';
import { GatewayMethod } from './method-table';
import { Refusal } from './refusal';
import { parseJsonObject } from './request-body';
import { SseStream } from './sse';

/** Streaming methods the browser may not open: they act (RemoteRun runs a command in a container), and a GET carries no X-Orzo-Action. */
export const STREAMS_NOT_SERVED: ReadonlySet<string> = new Set(['RemoteRun']);

/**
 * control-api's server-streaming methods as server-sent events. A refusal found before the
 * stream opens is an HTTP error; once open, the end is `event: end` and a failure `event: error`.
 * The browser going away cancels the gRPC call.
 */
@Controller('api')
export class StreamController {
  constructor(
    private readonly gateway: ControlApiGateway,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** GET /api/stream/GetBuildLog?req=<url-encoded JSON request>: each message `data: <JSON>`. */
  @Get('stream/:method')
  async stream(@Param('method') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await answerJson(res, this.logger, `stream ${name}`, async () => {
      const method = this.gateway.methods.get(name);
      if (!method) throw Refusal.notFound(`control-api has no method ${name}`);
      if (!method.responseStream || method.requestStream) throw Refusal.badRequest(`${name} is not a server-streaming method: POST /api/rpc/${name}`);
      if (STREAMS_NOT_SERVED.has(name))
        throw Refusal.badRequest(`${name} is not served by the dashboard (it acts, and streams are opened with GET); use the CLI`);
      const text = typeof req.query.req === 'string' ? req.query.req : '';
      const request = method.requestFromJson(parseJsonObject(text, 'req'));
      this.open(req, res, method, request);
    });
  }

  /**
   * GET /api/events?services=a,b&kinds=deploy,replica&since=1h: WatchEvents as server-sent
   * events, each with `id: <position>`; a reconnect's Last-Event-ID resumes right after it.
   */
  @Get('events')
  async events(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerJson(res, this.logger, 'events', async () => {
      const method = this.gateway.methods.get('WatchEvents')!;
      const list = (key: string) =>
        String(req.query[key] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      // EventSource sends Last-Event-ID itself on a reconnect; `position` is for clients that cannot set headers.
      const position = (req.get('last-event-id') ?? (typeof req.query.position === 'string' ? req.query.position : '')).trim();
      const since = typeof req.query.since === 'string' ? req.query.since.trim() : '';
      const request = method.requestFromJson({ services: list('services'), kinds: list('kinds'), since, position, noFollow: false });
      this.open(req, res, method, request, (message) => (message as { position?: string }).position);
    });
  }

  private open(req: Request, res: Response, method: GatewayMethod, request: unknown, idOf?: (message: unknown) => string | undefined): void {
    const token = callerToken(req.headers);
    if (!token) throw Refusal.unauthenticated('not logged in: POST /api/login with a token, or send Authorization: Bearer <token>');
    const call = this.gateway.serverStream(method, request, token);
    pipeToSse(call, new SseStream(res), method, idOf);
    res.once('close', () => call.cancel());
  }
}

/** Each message as `data: <toJSON>` (with `id:` when idOf gives one); pauses the call while the browser cannot keep up. */
function pipeToSse(call: ClientReadableStream<unknown>, sse: SseStream, method: GatewayMethod, idOf?: (message: unknown) => string | undefined): void {
  call.on('data', (message: unknown) => {
    if (sse.send(method.responseToJson(message), { id: idOf?.(message) })) return;
    call.pause();
    sse.drained(() => call.resume());
  });
  call.on('end', () => sse.end({ event: 'end', data: {} }));
  call.on('error', (err: unknown) => {
    // The browser left and the call was cancelled for it: nobody to tell.
    if (!sse.open) return;
    sse.end({ event: 'error', data: gatewayErrorOf(err).body });
  });
}
