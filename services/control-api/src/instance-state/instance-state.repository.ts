import { EntityRepository } from '@mikro-orm/knex';
import type { InstanceState } from './instance-state.entity';

/** control_instance_state, on the EntityManager it came from. */
export class InstanceStateRepository extends EntityRepository<InstanceState> {
  /** Sets an instance's desired state; resolves to the one it had ('start' when never set). */
  async put(state: InstanceState): Promise<'start' | 'stop'> {
    const { service, cluster, instance } = state;
    const before = await this.findOne({ service, cluster, instance });
    await this.createQueryBuilder()
      .insert(state)
      .onConflict(['service', 'cluster', 'instance'])
      .merge(['desiredState', 'changedBy', 'changedAt'])
      .execute('run');
    return before?.desiredState ?? 'start';
  }

  /** "<cluster>.<instance>" of the service's stopped instances. */
  async stoppedOf(service: string): Promise<Set<string>> {
    const rows = await this.find({ service, desiredState: 'stop' });
    return new Set(rows.map((r) => `${r.cluster}.${r.instance}`));
  }
}
