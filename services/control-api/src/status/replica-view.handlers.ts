import { Injectable } from '@nestjs/common';
import { EventContext, Subscribe } from '@orzo/bus';
import { OrzoEvent, ReplicaRef, Subjects } from '@orzo/contracts';
import { transactionOf } from '@orzo/persistence';

/** Builds the replica read model behind `orzo status` from instance events, exactly once each. */
@Injectable()
export class ReplicaViewHandlers {
  @Subscribe(Subjects.InstanceStarted)
  async onInstanceStarted(e: OrzoEvent<typeof Subjects.InstanceStarted>, ctx: EventContext): Promise<void> {
    await this.upsert(ctx, e.payload.replica!, 'Starting', e.envelope.occurredAt);
  }

  @Subscribe(Subjects.InstanceHealthy)
  async onInstanceHealthy(e: OrzoEvent<typeof Subjects.InstanceHealthy>, ctx: EventContext): Promise<void> {
    await this.upsert(ctx, e.payload.replica!, 'Healthy', e.envelope.occurredAt);
  }

  @Subscribe(Subjects.InstanceUnhealthy)
  async onInstanceUnhealthy(e: OrzoEvent<typeof Subjects.InstanceUnhealthy>, ctx: EventContext): Promise<void> {
    await this.upsert(ctx, e.payload.replica!, 'Not Ready', e.envelope.occurredAt);
  }

  @Subscribe(Subjects.InstanceStopped)
  async onInstanceStopped(e: OrzoEvent<typeof Subjects.InstanceStopped>, ctx: EventContext): Promise<void> {
    await transactionOf(ctx).execute('delete from control_replica where replica_id = ?', [e.payload.replica!.replicaId]);
  }

  /** Events may arrive out of order across subjects: an older event never overwrites a newer one. */
  private async upsert(ctx: EventContext, r: ReplicaRef, state: string, at: string): Promise<void> {
    const tx = transactionOf(ctx);
    const existing = await tx.execute<Array<{ updated_at: string }>>('select updated_at from control_replica where replica_id = ?', [r.replicaId]);
    if (existing[0] && existing[0].updated_at > at) return;
    await tx.execute('delete from control_replica where replica_id = ?', [r.replicaId]);
    await tx.execute(
      'insert into control_replica (replica_id, service, instance, cluster, host, port, git_sha, config_hash, state, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [r.replicaId, r.service, r.instance, r.cluster, r.host, r.port, r.gitSha, r.configHash, state, at],
    );
  }
}
