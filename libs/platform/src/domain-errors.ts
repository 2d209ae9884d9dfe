/**
 * The faults services and handlers report, independent of any transport. gRPC maps them to
 * status codes and jenkins-hook to HTTP statuses at their edge; a bus handler turns
 * `permanent` ones into a dead-letter at once and retries the others.
 */
export type DomainErrorKind = 'not-found' | 'invalid-argument' | 'failed-precondition' | 'unavailable' | 'unauthenticated' | 'permission-denied';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;

  /** Whether trying the same thing again can succeed without anyone changing anything. */
  get permanent(): boolean {
    return this.kind !== 'unavailable';
  }
}

/** Something named does not exist: a service, a deploy group, a build. */
export class NotFoundError extends DomainError {
  readonly kind = 'not-found' as const;
  override readonly name = 'NotFoundError';
}

/** The request itself is wrong: a missing field, a malformed sha, an image that is nowhere. */
export class InvalidArgumentError extends DomainError {
  readonly kind = 'invalid-argument' as const;
  override readonly name = 'InvalidArgumentError';
}

/** The request is well formed but the system is not in a state to do it (soa-configs with errors). */
export class FailedPreconditionError extends DomainError {
  readonly kind = 'failed-precondition' as const;
  override readonly name = 'FailedPreconditionError';
}

/** A dependency did not answer (another service, NATS, an engine); trying later may work. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable' as const;
  override readonly name = 'UnavailableError';
}

/** The caller did not say who it is, or said it with a token that is unknown, expired or revoked. */
export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated' as const;
  override readonly name = 'UnauthenticatedError';
}

/** The caller is known but its token's scopes do not cover what it asked. */
export class PermissionDeniedError extends DomainError {
  readonly kind = 'permission-denied' as const;
  override readonly name = 'PermissionDeniedError';
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
