import { StatusObject, status } from '@grpc/grpc-js';
import { DomainErrorKind, isDomainError } from '@orzo/platform';

const CODE_OF: Record<DomainErrorKind, status> = {
  'not-found': status.NOT_FOUND,
  'invalid-argument': status.INVALID_ARGUMENT,
  'failed-precondition': status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
};

export type CallStatus = Pick<StatusObject, 'code' | 'details'> & {
  /** True for a domain error: the caller's problem, told as is; false for a fault of ours (INTERNAL). */
  refused: boolean;
};

/** The status a failed call of `method` answers with: a domain error's own code and message, anything else INTERNAL. */
export function callStatusOf(method: string, err: unknown): CallStatus {
  if (isDomainError(err)) return { code: CODE_OF[err.kind], details: err.message, refused: true };
  return { code: status.INTERNAL, details: `${method} failed: ${err instanceof Error ? err.message : String(err)}`, refused: false };
}
