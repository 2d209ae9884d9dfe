import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { PermissionDeniedError, UnauthenticatedError } from '@orzo/platform';
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
  private readonly failures = new FailedAttempts();

  constructor(private readonly tokens: TokenService) {}

  /** The caller behind the `authorization` metadata; UnauthenticatedError for none or a bad one. */
  async authenticate(authorization: string | undefined, peer: string): Promise<Caller> {
    const address = peerAddress(peer);
    const delay = this.failures.delayFor(address);
    if (delay > 0) await sleep(delay);
    try {
      return await this.tokens.authenticate(authorization);
    } catch (err) {
      if (err instanceof UnauthenticatedError) this.failures.failed(address);
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
