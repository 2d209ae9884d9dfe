import { randomUUID } from 'node:crypto';
import { EntityRepository } from '@mikro-orm/knex';
import type { HistoryEntry } from './history-entry.entity';

/** control_history, on the EntityManager it came from (a handler's transaction or a request's fork). */
export class HistoryRepository extends EntityRepository<HistoryEntry> {
  /** Per process: entries written in the same millisecond keep the order they were written in. */
  private static sequence = 0;

  async append(entry: Omit<HistoryEntry, 'id' | 'at'>): Promise<void> {
    const at = new Date().toISOString();
    const id = `${at}#${String(++HistoryRepository.sequence % 1e6).padStart(6, '0')}#${randomUUID().slice(0, 8)}`;
    await this.insert({ ...entry, id, at });
  }

  /** Newest first. */
  latest(service: string, limit: number): Promise<HistoryEntry[]> {
    return this.find({ service }, { orderBy: { id: 'desc' }, limit });
  }

  /** The newest entry of one kind for a deploy group (e.g. the last pipeline wait before it). */
  async latestOfKind(service: string, kind: HistoryEntry['kind'], deployGroup: string): Promise<HistoryEntry | undefined> {
    const [entry] = await this.find({ service, kind, deployGroup }, { orderBy: { id: 'desc' }, limit: 1 });
    return entry;
  }
}
