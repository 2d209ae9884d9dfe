import { Injectable } from '@nestjs/common';
import { api } from '@orzo/contracts';
import { requireFields } from '../required-fields';
import { formatScope } from './scopes';
import { Caller, TokenService } from './token.service';

/** The token RPCs (CreateToken, ListTokens, RevokeToken, WhoAmI) over TokenService. */
@Injectable()
export class TokenAdminService {
  constructor(private readonly tokens: TokenService) {}

  async create(req: api.CreateTokenRequest, caller: Caller): Promise<api.CreateTokenResponse> {
    requireFields(req, { name: 'name' });
    return this.tokens.create({ name: req.name, scopes: req.scopes, expires: req.expires || undefined, createdBy: caller.name });
  }

  async list(req: api.ListTokensRequest): Promise<api.ListTokensResponse> {
    return { tokens: await this.tokens.list(req.includeRevoked) };
  }

  async revoke(req: api.RevokeTokenRequest): Promise<api.RevokeTokenResponse> {
    requireFields(req, { name: 'name' });
    return { info: await this.tokens.revoke(req.name) };
  }

  whoAmI(caller: Caller): api.WhoAmIResponse {
    return { name: caller.name, scopes: caller.scopes.map(formatScope) };
  }
}
