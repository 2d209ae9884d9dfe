import type { ServiceDefinition } from '@grpc/grpc-js';
import { InvalidArgumentError } from '@orzo/platform';

/** Request bytes that do not decode as the method's request message; the handler refuses them. */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

/**
 * The service definition with request decoders that never throw. grpc-js answers a decoder's
 * exception with INTERNAL "Error deserializing request", which blames the server for the
 * client's bytes; here they become a MalformedRequest, refused as INVALID_ARGUMENT by
 * `refuseMalformed` with the decoder's reason.
 */
export function decodingLeniently<S extends ServiceDefinition>(service: S): S {
  const methods = Object.entries(service).map(([key, method]) => {
    const type = `${method.path.slice(method.path.lastIndexOf('/') + 1)}Request`;
    const requestDeserialize = (bytes: Buffer): unknown => {
      try {
        return method.requestDeserialize(bytes);
      } catch (err) {
        return new MalformedRequest(`the request is not a valid ${type} message (${err instanceof Error ? err.message : String(err)})`);
      }
    };
    return [key, { ...method, requestDeserialize }];
  });
  return Object.fromEntries(methods) as S;
}

/** The request as decoded; InvalidArgumentError when its bytes were not a message of its type. */
export function refuseMalformed<Req>(request: Req | MalformedRequest): Req {
  if (request instanceof MalformedRequest) throw new InvalidArgumentError(request.reason);
  return request;
}
