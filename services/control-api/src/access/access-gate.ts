import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { PermissionDeniedError, SERVICE_CONFIG, UnauthenticatedError } from '@orzo/platform';
import type { ControlApiConfig } from '../config';
import { shown } from '../shown';
import { FailedAttempts, peerAddress } from './failed-attempts';
import { Need, allows, formatScope } from './scopes';
import { Caller, TokenService } from './token.service';

/**
 * The door every RPC goes through: who the caller is (its bearer token) and whether the
 * token's scopes cover what it asks. A peer that keeps presenting bad tokens is slowed down.
 */
@Injectable()
export class AccessGate {
  private readonly failures: FailedAttempts;

  constructor(
    private readonly tokens: TokenService,
    @Inject(SERVICE_CONFIG) config: ControlApiConfig,
  ) {
    this.failures = new FailedAttempts({ free: config.ORZO_AUTH_FREE_FAILURES, windowMs: 60_000, firstDelayMs: 100, maxMs: 5_000, maxPeers: 10_000 });
  }

  /**
   * The caller behind the `authorization` metadata; UnauthenticatedError for none or a bad one,
   * answered late when this peer failed often lately (a caller with a good token is never slowed).
   */
  async authenticate(authorization: string | undefined, peer: string): Promise<Caller> {
    try {
      return await this.tokens.authenticate(authorization);
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err;
      const address = peerAddress(peer);
      const delay = this.failures.delayFor(address);
      this.failures.failed(address);
      if (delay > 0) await sleep(delay);
      throw err;
    }
  }

  /** PermissionDeniedError unless the caller's scopes cover the need. */
  authorize(caller: Caller, method: string, need: Need): void {
    if (allows(caller.scopes, need)) return;
    const wanted = need.service ? `${need.verb}:${shown(need.service)} (or ${need.verb})` : need.verb;
    throw new PermissionDeniedError(`token ${caller.name} (scopes: ${caller.scopes.map(formatScope).join(' ')}) may not call ${method}: it needs ${wanted}`);
  }
}
