import { Injectable } from '@nestjs/common';
import { Respond } from '@orzo/bus';
import { Rpcs, SecretValuesAnswer, SecretValuesCall } from '@orzo/contracts';
import { SecretStore } from './secret-store';

/** scheduler-bridge asks here for the secret values of a replica it is about to start. */
@Injectable()
export class SecretValuesResponder {
  constructor(private readonly store: SecretStore) {}

  @Respond(Rpcs.secretValues)
  values(req: SecretValuesCall): Promise<SecretValuesAnswer> {
    return this.store.values(req);
  }
}
