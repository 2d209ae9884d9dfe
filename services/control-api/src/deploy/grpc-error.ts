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
