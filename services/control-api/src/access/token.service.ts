import { Injectable } from '@nestjs/common';
import { DatabaseHolder } from '@orzo/persistence';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnauthenticatedError } from '@orzo/platform';
import { parseDuration } from '@orzo/soa-config';
import { shown } from '../shown';
import { ApiToken, ApiTokenSchema } from './api-token.entity';
import { Scope, formatScope, parseScope } from './scopes';
import { digest, hashSecret, newToken, secretMatches, splitToken } from './token-secret';

/** Who is calling: the token that authenticated the call. */
export interface Caller {
  tokenId: string;
  /** The token's name: what history records as the actor. */
  name: string;
  scopes: Scope[];
}

export interface TokenInfo {
  name: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string;
  revokedAt: string;
}

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;
/** last_used_at is written at most this often per token, not on every call. */
const LAST_USED_EVERY_MS = 60_000;

/**
 * API tokens: created with scopes and an optional expiry (the secret is returned once, only
 * its scrypt hash is stored), listed, revoked, and checked on every gRPC call. A secret
 * verified once is remembered by its SHA-256 digest, so scrypt runs once per token and
 * process, while revocation and expiry are read from the table on every call.
 */
@Injectable()
export class TokenService {
  private readonly verified = new Map<string, string>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly db: DatabaseHolder) {}

  private repo() {
    return this.db.database.em().getRepository(ApiTokenSchema);
  }

  async create(req: { name: string; scopes: string[]; expires?: string; createdBy: string }): Promise<{ token: string; info: TokenInfo }> {
    if (!TOKEN_NAME.test(req.name)) throw new InvalidArgumentError(`token name "${shown(req.name)}": letters, digits and _ . @ - only, at most 100`);
    if (req.scopes.length === 0)
      throw new InvalidArgumentError('scopes: a token needs at least one scope (read, deploy[:service], operate[:service], build[:service], admin)');
    const scopes = req.scopes.map((text) => {
      try {
        return parseScope(text);
      } catch (err) {
        throw new InvalidArgumentError(`scopes: ${(err as Error).message}`);
      }
    });
    let expiresAt: string | null = null;
    if (req.expires) {
      const seconds = parseDuration(req.expires);
      if (seconds === null || seconds <= 0) throw new InvalidArgumentError(`expires "${shown(req.expires)}" is not a duration like 90d, 12h or 30m`);
      expiresAt = new Date(Date.now() + seconds * 1000).toISOString();
    }
    const repo = this.repo();
    if (await repo.activeByName(req.name)) throw new FailedPreconditionError(`a token named ${req.name} exists: revoke it first or choose another name`);
    const t = newToken();
    const row: ApiToken = {
      id: t.id,
      name: req.name,
      secretHash: await hashSecret(t.secret),
      scopes: scopes.map(formatScope).join(' '),
      createdBy: req.createdBy,
      createdAt: new Date().toISOString(),
      expiresAt,
      lastUsedAt: null,
      revokedAt: null,
    };
    await repo.add(row);
    return { token: t.token, info: infoOf(row) };
  }

  async list(includeRevoked = false): Promise<TokenInfo[]> {
    return (await this.repo().list(includeRevoked)).map(infoOf);
  }

  async revoke(name: string): Promise<TokenInfo> {
    const repo = this.repo();
    const row = await repo.activeByName(name);
    if (!row) throw new NotFoundError(`no token named ${shown(name)} (or it is already revoked)`);
    row.revokedAt = new Date().toISOString();
    await repo.change(row.id, { revokedAt: row.revokedAt });
    this.verified.delete(row.id);
    return infoOf(row);
  }

  /** The caller behind `authorization: Bearer <token>`; UnauthenticatedError for anything else. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (!authorization) throw new UnauthenticatedError('no token: send "authorization: Bearer <token>" (the orzo CLI reads ORZO_TOKEN or the token file)');
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const parts = m ? splitToken(m[1]!) : undefined;
    if (!parts) throw new UnauthenticatedError('the authorization header is not "Bearer <orzo token>"');
    const row = await this.repo().byId(parts.id);
    if (!row) throw new UnauthenticatedError('unknown token');
    if (row.revokedAt) throw new UnauthenticatedError(`token ${row.name} was revoked at ${row.revokedAt}`);
    if (row.expiresAt && Date.parse(row.expiresAt) <= Date.now()) throw new UnauthenticatedError(`token ${row.name} expired at ${row.expiresAt}`);
    const fingerprint = digest(parts.secret);
    if (this.verified.get(row.id) !== fingerprint) {
      if (!(await secretMatches(parts.secret, row.secretHash))) throw new UnauthenticatedError('unknown token');
      this.verified.set(row.id, fingerprint);
    }
    await this.noteUse(row.id);
    return { tokenId: row.id, name: row.name, scopes: row.scopes.split(' ').filter(Boolean).map(parseScope) };
  }

  private async noteUse(id: string): Promise<void> {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_EVERY_MS) return;
    this.lastUsedWritten.set(id, now);
    await this.repo().change(id, { lastUsedAt: new Date(now).toISOString() });
  }
}

function infoOf(row: ApiToken): TokenInfo {
  return {
    name: row.name,
    scopes: row.scopes.split(' ').filter(Boolean),
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt ?? '',
    lastUsedAt: row.lastUsedAt ?? '',
    revokedAt: row.revokedAt ?? '',
  };
}
