import { EntityRepository } from '@mikro-orm/knex';
import type { Secret } from './secret.entity';

/** control_secret, on the EntityManager it came from. */
export class SecretRepository extends EntityRepository<Secret> {
  ofService(service: string): Promise<Secret[]> {
    return this.find({ service }, { orderBy: { name: 'asc' }, disableIdentityMap: true });
  }

  /** The rows of these keys (service/name) that exist. */
  async byKeys(keys: string[]): Promise<Map<string, Secret>> {
    if (!keys.length) return new Map();
    const rows = await this.find({ secretKey: { $in: keys } }, { disableIdentityMap: true });
    return new Map(rows.map((r) => [r.secretKey, r]));
  }

  one(key: string): Promise<Secret | null> {
    return this.findOne({ secretKey: key }, { disableIdentityMap: true });
  }

  async addRow(row: Secret): Promise<void> {
    await this.createQueryBuilder().insert(row).execute('run');
  }

  /** Rewrites value and version of an existing row; false when it does not exist. */
  async rewrite(key: string, change: Pick<Secret, 'sealed' | 'version' | 'updatedAt' | 'updatedBy'>): Promise<boolean> {
    return (await this.nativeUpdate({ secretKey: key }, change)) > 0;
  }

  async dropRow(key: string): Promise<boolean> {
    return (await this.nativeDelete({ secretKey: key })) > 0;
  }
}
