import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import type { JenkinsHookConfig } from './config';
import { HookError } from './hook-error';

export const SIGNATURE_HEADER = 'x-hub-signature-256';
export const TOKEN_HEADER = 'x-orzo-token';

/**
 * Every token the request presents: the password of HTTP Basic (or the user when the password
 * is empty, for `https://<token>@host/`), `Authorization: Bearer`, `X-Orzo-Token`, `?token=`.
 */
export function presentedTokens(headers: IncomingHttpHeaders, url: string): string[] {
  const found: string[] = [];
  const authorization = headers.authorization ?? '';
  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    found.push(password || (colon >= 0 ? decoded.slice(0, colon) : decoded));
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) found.push(bearer[1]!);
  const header = headers[TOKEN_HEADER];
  for (const value of Array.isArray(header) ? header : header ? [header] : []) found.push(value.trim());
  for (const value of new URL(url, 'http://localhost').searchParams.getAll('token')) found.push(value);
  return found.filter((t) => t.length > 0);
}

/** Constant-time comparison: both sides are hashed first, so lengths never leak or differ. */
export function sameSecret(expected: string, presented: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** GitHub's signature of a body: `sha256=<hex HMAC-SHA256(secret, body)>`. */
export function signatureOf(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Why `header` is not the signature of `body`, or null when it is. */
export function signatureProblem(secret: string, body: Buffer, header: string | undefined): string | null {
  if (!header) return 'X-Hub-Signature-256 header is required: sign the raw body with HMAC-SHA256 and send sha256=<hex>';
  const value = header.trim();
  if (!/^sha256=[0-9a-f]{64}$/i.test(value)) return 'X-Hub-Signature-256 must be sha256=<64 hex digits>';
  const expected = Buffer.from(signatureOf(secret, body).slice('sha256='.length), 'hex');
  const given = Buffer.from(value.slice('sha256='.length), 'hex');
  return timingSafeEqual(expected, given)
    ? null
    : 'X-Hub-Signature-256 does not match the body: sign the exact bytes sent, with the secret of ORZO_WEBHOOK_SECRET';
}

/** Checks the token (every endpoint) and the HMAC signature (generic webhook) of a request. */
@Injectable()
export class HookAuth implements OnApplicationBootstrap {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: JenkinsHookConfig,
    @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.ORZO_JENKINS_TOKEN) this.logger?.warn('ORZO_JENKINS_TOKEN is not set: every webhook is refused with 503 until it is');
  }

  /** Throws 503 when no token is configured, 401 when no presented token matches it. */
  requireToken(headers: IncomingHttpHeaders, url: string): void {
    const expected = this.config.ORZO_JENKINS_TOKEN;
    if (!expected) throw HookError.unavailable('ORZO_JENKINS_TOKEN is not configured: jenkins-hook refuses every webhook until it is set');
    const presented = presentedTokens(headers, url);
    if (presented.length === 0) throw HookError.unauthorized('a token is required: HTTP Basic password, Authorization: Bearer, X-Orzo-Token header or ?token=');
    // Check every candidate so the time taken does not depend on which one matched.
    const matched = presented.map((t) => sameSecret(expected, t)).includes(true);
    if (!matched) throw HookError.unauthorized('the token is wrong');
  }

  /** When ORZO_WEBHOOK_SECRET is set, throws 401 unless X-Hub-Signature-256 signs `body`. */
  requireSignature(headers: IncomingHttpHeaders, body: Buffer): void {
    const secret = this.config.ORZO_WEBHOOK_SECRET;
    if (!secret) return;
    const header = headers[SIGNATURE_HEADER];
    const problem = signatureProblem(secret, body, Array.isArray(header) ? header[0] : header);
    if (problem) throw HookError.unauthorized(problem);
  }
}
