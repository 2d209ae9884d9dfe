import { EntitySchema } from '@mikro-orm/core';

/**
 * A replica that stopped on its own (crashed, OOM-killed, removed outside Orzo) rather than
 * drained by a bounce, scale-down or stop (control_replica_exit): the restart counts and the
 * last exit reason of `orzo status`, and the Warning state of replicas that replaced one.
 */
export interface ReplicaExit {
  replicaId: string;
  service: string;
  cluster: string;
  instance: string;
  gitSha: string;
  reason: string;
  at: string;
}

export const ReplicaExitSchema = new EntitySchema<ReplicaExit>({
  name: 'ReplicaExit',
  tableName: 'control_replica_exit',
  properties: {
    replicaId: { type: 'string', primary: true, fieldName: 'replica_id', length: 100 },
    service: { type: 'string', length: 100 },
    cluster: { type: 'string', length: 100 },
    instance: { type: 'string', length: 100 },
    gitSha: { type: 'string', fieldName: 'git_sha', length: 64 },
    reason: { type: 'text' },
    at: { type: 'string', length: 40 },
  },
  indexes: [{ name: 'control_replica_exit_service', properties: ['service', 'at'] }],
});

/** Stop reasons scheduler-bridge gives a replica that was not drained on purpose. */
export function isUnexpectedExit(reason: string): boolean {
  return reason === 'oom-killed' || reason.startsWith('exited with code') || reason === 'removed outside Orzo';
}
