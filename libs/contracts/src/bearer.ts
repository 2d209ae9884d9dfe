import { InterceptingCall, Interceptor } from '@grpc/grpc-js';

/** Adds `authorization: Bearer <token>` to every call of a client (plaintext and TLS channels alike). */
export function bearer(token: string | undefined): Interceptor {
  return (options, next) =>
    new InterceptingCall(next(options), {
      start: (metadata, listener, nextStart) => {
        if (token) metadata.set('authorization', `Bearer ${token}`);
        nextStart(metadata, listener);
      },
    });
}
