import { z } from 'zod';
import { RpcContract, defineRpc } from './rpc-contract';

const cancelBuildRequest = z.object({ buildId: z.string().min(1, 'buildId is required'), by: z.string() });
const cancelBuildReply = z.object({ cancelled: z.boolean(), state: z.string() });
const imageExistsRequest = z.object({ image: z.string().min(1, 'image is required') });
const imageExistsReply = z.object({ exists: z.boolean() });

const listAlertsRequest = z.object({ service: z.string() });
const alertDelivery = z.object({
  sink: z.string(),
  state: z.enum(['delivered', 'pending']),
  deliveredAt: z.string(),
  attempts: z.number().int().min(0),
  lastError: z.string(),
});
const firingAlert = z.object({
  alertId: z.string(),
  check: z.string(),
  service: z.string(),
  instance: z.string(),
  cluster: z.string(),
  severity: z.string(),
  output: z.string(),
  team: z.string(),
  page: z.boolean(),
  runbook: z.string(),
  raisedAt: z.string(),
  failingSince: z.string(),
  repeats: z.number().int().min(0),
  deliveries: z.array(alertDelivery),
});
const listAlertsReply = z.object({ alerts: z.array(firingAlert) });

export type ListAlertsCall = z.output<typeof listAlertsRequest>;
export type ListAlertsAnswer = z.output<typeof listAlertsReply>;
export type CancelBuildCall = z.output<typeof cancelBuildRequest>;
export type CancelBuildAnswer = z.output<typeof cancelBuildReply>;
export type ImageExistsCall = z.output<typeof imageExistsRequest>;
export type ImageExistsAnswer = z.output<typeof imageExistsReply>;

/**
 * Every request/reply of the platform. Subjects are versioned like events
 * (orzo.rpc.<service>.<what>.v1); adding an optional field is compatible, anything else is v2.
 */
export const Rpcs = {
  /**
   * Cancel a build the builder queues or runs. State 'unknown': this builder does not know
   * the build. No queue group: today one builder runs.
   */
  cancelBuild: defineRpc({
    name: 'builder.cancel',
    servedBy: 'builder',
    subject: 'orzo.rpc.builder.cancel.v1',
    request: cancelBuildRequest,
    reply: cancelBuildReply,
  }),
  /**
   * Does this image exist on the engine of `cluster` (a registry image is pulled now: the
   * deploy that follows needs it anyway)? One of the scheduler-bridges of that cluster answers.
   */
  imageExists: (cluster: string): RpcContract<ImageExistsCall, ImageExistsAnswer> =>
    defineRpc({
      name: `scheduler.${cluster}.image-exists`,
      servedBy: 'scheduler-bridge',
      subject: `orzo.rpc.scheduler.${cluster}.image-exists.v1`,
      queue: 'scheduler-bridge',
      request: imageExistsRequest,
      reply: imageExistsReply,
    }),
  /**
   * The alerts firing now (service '' = all), with where each was delivered. Queue group: any
   * monitor-bridge of a shared database can answer.
   */
  listAlerts: defineRpc({
    name: 'monitor.list-alerts',
    servedBy: 'monitor-bridge',
    subject: 'orzo.rpc.monitor.list-alerts.v1',
    queue: 'monitor-bridge',
    request: listAlertsRequest,
    reply: listAlertsReply,
  }),
} as const;
