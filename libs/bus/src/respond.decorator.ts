import { SetMetadata } from '@nestjs/common';
import type { RpcContract } from '@orzo/contracts';
import type { Logger } from '@orzo/platform';

export const RESPOND_METADATA = 'orzo:bus:respond';

export interface RpcContext {
  subject: string;
  /** Logger carrying the rpc name and subject. */
  log: Logger;
}

/** A responder: gets a validated request, returns the reply; throwing a DomainError answers with its kind. */
export type RpcHandler<Req, Res> = (req: Req, ctx: RpcContext) => Promise<Res> | Res;

export interface RespondMetadata {
  /** The contracts this method serves (resolved at boot, against the provider instance). */
  contracts: (instance: object) => ReadonlyArray<RpcContract<unknown, unknown>>;
}

/** Checks at compile time that the method takes the contract's request and returns its reply. */
type RespondDecorator<Req, Res> = <T extends RpcHandler<Req, Res>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<T>) => void;

/**
 * Marks a provider method as the responder of a request/reply contract; BusService finds it
 * at boot and subscribes it (in the contract's queue group). For a contract family with a
 * parameter (one subject per cluster), pass the family and `params`, read from the provider.
 */
export function Respond<Req, Res>(rpc: RpcContract<Req, Res>): RespondDecorator<Req, Res>;
export function Respond<Req, Res, T extends object>(
  family: (param: string) => RpcContract<Req, Res>,
  options: { params: (provider: T) => readonly string[] },
): RespondDecorator<Req, Res>;
export function Respond<Req, Res>(
  rpc: RpcContract<Req, Res> | ((param: string) => RpcContract<Req, Res>),
  options?: { params: (provider: never) => readonly string[] },
): RespondDecorator<Req, Res> {
  const contracts =
    typeof rpc === 'function'
      ? (instance: object) => (options?.params(instance as never) ?? []).map((p) => rpc(p) as RpcContract<unknown, unknown>)
      : () => [rpc as RpcContract<unknown, unknown>];
  return SetMetadata<string, RespondMetadata>(RESPOND_METADATA, { contracts }) as RespondDecorator<Req, Res>;
}
