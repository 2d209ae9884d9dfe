/** A request the gateway answers itself, before or instead of calling control-api. */
export class Refusal extends Error {
  override readonly name = 'Refusal';

  constructor(
    readonly status: number,
    message: string,
    /** The gRPC-style code name the body carries, so the browser handles one error shape. */
    readonly code: string,
  ) {
    super(message);
  }

  static badRequest(message: string): Refusal {
    return new Refusal(400, message, 'INVALID_ARGUMENT');
  }

  static notFound(message: string): Refusal {
    return new Refusal(404, message, 'NOT_FOUND');
  }

  static forbidden(message: string): Refusal {
    return new Refusal(403, message, 'PERMISSION_DENIED');
  }

  static unauthenticated(message: string): Refusal {
    return new Refusal(401, message, 'UNAUTHENTICATED');
  }
}
