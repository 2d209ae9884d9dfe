import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { ApiTokenRepository } from './api-token.repository';

/**
 * One API token (control_api_token). Only a hash of its secret is kept: the secret is shown
 * once, when it is created. Revoked tokens stay, so history naming them still reads.
 */
export interface ApiToken {
  /** The public part of the token (`orzo_<id>_<secret>`), random, 12 hex characters. */
  id: string;
  /** Unique among tokens that are not revoked; what history names as the actor. */
  name: string;
  /** `scrypt$<salt>$<hash>` of the secret part, base64. */
  secretHash: string;
  /** Space-separated scopes (`read deploy:payments`). */
  scopes: string;
  createdBy: string;
  createdAt: string;
  expiresAt?: string | null;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
  [EntityRepositoryType]?: ApiTokenRepository;
}

export const ApiTokenSchema = new EntitySchema<ApiToken>({
  name: 'ApiToken',
  tableName: 'control_api_token',
  repository: () => ApiTokenRepository,
  properties: {
    id: { type: 'string', primary: true, length: 24 },
    name: { type: 'string', length: 100 },
    secretHash: { type: 'string', fieldName: 'secret_hash', length: 200 },
    scopes: { type: 'text' },
    createdBy: { type: 'string', fieldName: 'created_by', length: 200 },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
    expiresAt: { type: 'string', fieldName: 'expires_at', length: 40, nullable: true },
    lastUsedAt: { type: 'string', fieldName: 'last_used_at', length: 40, nullable: true },
    revokedAt: { type: 'string', fieldName: 'revoked_at', length: 40, nullable: true },
  },
  indexes: [{ name: 'control_api_token_name', properties: ['name'] }],
});
