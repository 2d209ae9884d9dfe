import { status } from '@grpc/grpc-js';

/** An error with the gRPC status the caller should see; anything else is INTERNAL. */
export class GrpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }

  static invalid(message: string): GrpcError {
    return new GrpcError(status.INVALID_ARGUMENT, message);
  }

  static notFound(message: string): GrpcError {
    return new GrpcError(status.NOT_FOUND, message);
  }

  static unavailable(message: string): GrpcError {
    return new GrpcError(status.UNAVAILABLE, message);
  }

  static failedPrecondition(message: string): GrpcError {
    return new GrpcError(status.FAILED_PRECONDITION, message);
  }
}

/** "<field> is required" for each empty field, named as in the .proto (snake_case), in order. */
export function missingFields<T extends object>(req: T, fields: Partial<Record<keyof T, string>>): string[] {
  return Object.entries(fields)
    .filter(([key]) => !req[key as keyof T])
    .map(([, name]) => `${name as string} is required`);
}

/** INVALID_ARGUMENT naming every empty required field, or nothing when all are given. */
export function requireFields<T extends object>(req: T, fields: Partial<Record<keyof T, string>>): void {
  const missing = missingFields(req, fields);
  if (missing.length) throw GrpcError.invalid(missing.join('; '));
}
