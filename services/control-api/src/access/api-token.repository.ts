import { EntityRepository } from '@mikro-orm/knex';
import type { ApiToken } from './api-token.entity';

/** control_api_token, on the EntityManager it came from. */
export class ApiTokenRepository extends EntityRepository<ApiToken> {
  byId(id: string): Promise<ApiToken | null> {
    return this.findOne({ id });
  }

  /** The token of that name that is not revoked (names are unique among those). */
  activeByName(name: string): Promise<ApiToken | null> {
    return this.findOne({ name, revokedAt: null });
  }

  /** Every token, newest first; revoked ones only when asked. */
  list(includeRevoked: boolean): Promise<ApiToken[]> {
    return this.find(includeRevoked ? {} : { revokedAt: null }, { orderBy: { createdAt: 'desc' } });
  }

  async add(token: ApiToken): Promise<void> {
    await this.insert(token);
  }

  async change(id: string, fields: Partial<Pick<ApiToken, 'lastUsedAt' | 'revokedAt'>>): Promise<void> {
    await this.nativeUpdate({ id }, fields);
  }
}
