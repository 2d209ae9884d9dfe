import { status } from '@grpc/grpc-js';

/** What the browser gets for a failed call: control-api's own message and the gRPC code's name. */
export interface GatewayError {
  httpStatus: number;
  body: { error: string; code: string };
}

const HTTP_OF: Partial<Record<status, number>> = {
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.INVALID_ARGUMENT]: 400,
  [status.NOT_FOUND]: 404,
  [status.FAILED_PRECONDITION]: 409,
  [status.ALREADY_EXISTS]: 409,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 503,
};

/** The HTTP status a gRPC status code is answered with; 500 for any code without a closer match. */
export function httpStatusOf(code: status): number {
  return HTTP_OF[code] ?? 500;
}

/** UNAUTHENTICATED for 16, UNKNOWN for a number grpc-js does not name. */
export function codeName(code: number): string {
  const name = (status as unknown as Record<number, string | undefined>)[code];
  return typeof name === 'string' ? name : 'UNKNOWN';
}

/**
 * A grpc-js ServiceError (or anything thrown on the way) as the HTTP answer. When control-api
 * cannot be reached at all, the message says so instead of grpc-js's "No connection established".
 */
export function gatewayErrorOf(err: unknown): GatewayError {
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof e?.code !== 'number') return { httpStatus: 500, body: { error: `dashboard gateway failed: ${String(e?.message ?? err)}`, code: 'INTERNAL' } };
  const details = typeof e.details === 'string' ? e.details : String(e.message ?? '');
  const unreachable = e.code === status.UNAVAILABLE && /No connection established|ECONNREFUSED|Connection dropped/.test(details);
  return {
    httpStatus: httpStatusOf(e.code),
    body: { error: unreachable ? `control-api is not reachable (${details}); is the platform up?` : details, code: codeName(e.code) },
  };
}
