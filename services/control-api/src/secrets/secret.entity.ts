import { EntityRepositoryType, EntitySchema } from '@mikro-orm/core';
import { SecretRepository } from './secret.repository';

/**
 * One secret of a service (control_secret): its value sealed with the store's key (never the
 * plaintext), and a random version that changes on every write and goes into the config hash
 * of the instances referencing it (a new value re-deploys them; the version says nothing of it).
 */
export interface Secret {
  /** service/name */
  secretKey: string;
  /** The service, or `_shared`. */
  service: string;
  name: string;
  /** v1.<key id>.<nonce>.<tag>.<ciphertext> (secret-cipher.ts). */
  sealed: string;
  version: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  [EntityRepositoryType]?: SecretRepository;
}

export const SecretSchema = new EntitySchema<Secret>({
  name: 'Secret',
  tableName: 'control_secret',
  repository: () => SecretRepository,
  properties: {
    secretKey: { type: 'string', primary: true, fieldName: 'secret_key', length: 300 },
    service: { type: 'string', length: 100 },
    name: { type: 'string', length: 100 },
    sealed: { type: 'text' },
    version: { type: 'string', length: 40 },
    createdAt: { type: 'string', fieldName: 'created_at', length: 40 },
    createdBy: { type: 'string', fieldName: 'created_by', length: 200 },
    updatedAt: { type: 'string', fieldName: 'updated_at', length: 40 },
    updatedBy: { type: 'string', fieldName: 'updated_by', length: 200 },
  },
  indexes: [{ name: 'control_secret_service', properties: ['service'] }],
});

export function secretKeyOf(service: string, name: string): string {
  return `${service}/${name}`;
}
