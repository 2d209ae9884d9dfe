// Timed calls of control-api's gRPC API for the benches (api-latency, status-latency).
import { ServiceError } from '@grpc/grpc-js';
import type { api } from '@orzo/contracts';

export type TimedMethod = 'whoAmI' | 'getStatus' | 'markForDeployment';

/** One unary call, as a promise. */
export function call<Res>(client: api.ControlApiClient, method: TimedMethod, req: object): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client[method] as unknown as (r: object, cb: (e: ServiceError | null, r: Res) => void) => void).call(client, req, (err, res) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

/** Milliseconds of each of `calls` sequential runs of fn, after 20 to warm up. */
export async function timed(fn: () => Promise<unknown>, calls: number): Promise<number[]> {
  for (let i = 0; i < 20; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}
